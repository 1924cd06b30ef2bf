"""Anything else: a short hint toward /help (and a likely case, if the text names one)."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType

from bot.context import Context
from bot.handlers.replies import reply
from bot.keyboards import pick_keyboard
from bot.services.cases import find_cases, named_hits
from bot.services.lookup import MAX_QUERY_LENGTH


async def unknown_command(update: Update, context: Context) -> None:
    """An unknown command: in groups, only when it is addressed to this bot."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    command = (message.text or "").split(maxsplit=1)[0]
    if chat.type != ChatType.PRIVATE and not command.endswith(f"@{context.bot.username}"):
        return
    await reply(update, context, "hint", hits=[])


async def plain_text(update: Update, context: Context) -> None:
    """Text in a private chat: a hint, with buttons for cases it seems to name."""
    message = update.effective_message
    text = (message.text or "").strip() if message else ""
    hits = []
    if 0 < len(text) <= MAX_QUERY_LENGTH:
        services = context.bot_data.services
        async with services.reads() as session:
            lookup = await find_cases(session, services.case_index, text)
            hits = await named_hits(session, lookup.candidates[:3])
    await reply(update, context, "hint", hits=hits, keyboard=pick_keyboard(hits) if hits else None)
