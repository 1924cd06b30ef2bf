"""Anything else: a short hint toward /help (and a likely case, if the text names one)."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType

from bot.context import Context
from bot.handlers.replies import reply
from bot.presentation.keyboards import cases_keyboard
from bot.presentation.views import CaseLink


async def unknown_command(update: Update, context: Context) -> None:
    """An unknown command: in groups, only when it is addressed to this bot."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    command = (message.text or "").split(maxsplit=1)[0]
    if chat.type != ChatType.PRIVATE and not command.endswith(f"@{context.bot.username}"):
        return
    await reply(update, context, "hint", choices=[])


async def plain_text(update: Update, context: Context) -> None:
    """Text in a private chat: a hint, with buttons for cases it seems to name."""
    message = update.effective_message
    text = (message.text or "").strip() if message else ""
    choices = await context.bot_data.services.resolver.mentioned(text)
    links = [CaseLink(choice.case_id, choice.case_name) for choice in choices]
    await reply(update, context, "hint", choices=choices, keyboard=cases_keyboard(links))
