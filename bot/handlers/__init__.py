"""Telegram handlers: parse the update, call a service, present the result, reply.

``register`` attaches everything in the command table (bot/handlers/table.py), each handler
wrapped with the check its audience needs.
"""

from __future__ import annotations

import functools
import re

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.context import AppType, Context, HandlerCallback
from bot.handlers import errors, fallback, subscriptions
from bot.handlers.admin import drafting
from bot.handlers.permissions import for_audience
from bot.handlers.replies import answer, tapped
from bot.handlers.table import BUTTONS, COMMANDS, SHORTCUTS
from bot.presentation.callbacks import pattern
from templates.i18n import N_, _

EXPIRED = N_("This button has expired.")


def checked_button(callback: HandlerCallback) -> HandlerCallback:
    """Run a button's handler only for data that is well formed; say it expired otherwise."""

    @functools.wraps(callback)
    async def checked(update: Update, context: Context) -> None:
        if tapped(update) is None:
            await answer(update, _(EXPIRED))
            return
        await callback(update, context)

    return checked


async def expired_button(update: Update, _context: Context) -> None:
    """Any other button: one of ours from an older version, or not ours at all."""
    await answer(update, _(EXPIRED))


def register(application: AppType) -> None:
    """Attach every handler to the application."""
    # First of all, for every update: the language the reply is written in.
    application.add_handler(TypeHandler(Update, subscriptions.choose_language), group=-10)
    # Only new messages: an edited earlier message is not run (or added to a draft) again.
    new = filters.UpdateType.MESSAGE
    for command in COMMANDS:
        handler = for_audience(command.handler, command.audience, command.name)
        application.add_handler(CommandHandler(command.name, handler, filters=new))
    # An admin's text goes to their open draft first; other text falls through to the hint.
    application.add_handler(
        MessageHandler(
            new & (filters.TEXT | filters.CAPTION) & filters.ChatType.PRIVATE,
            drafting.draft_input,
        ),
        group=-1,
    )
    for shortcut in SHORTCUTS:
        application.add_handler(
            MessageHandler(new & filters.Regex(re.compile(shortcut.pattern)), shortcut.handler)
        )
    for button in BUTTONS:
        name = button.name or button.action.value
        handler = checked_button(for_audience(button.handler, button.audience, name))
        application.add_handler(CallbackQueryHandler(handler, pattern=pattern(button.action)))
    application.add_handler(CallbackQueryHandler(expired_button))
    application.add_handler(
        ChatMemberHandler(subscriptions.membership_changed, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_handler(
        MessageHandler(filters.StatusUpdate.MIGRATE, subscriptions.chat_migrated)
    )
    application.add_handler(MessageHandler(new & filters.COMMAND, fallback.unknown_command))
    application.add_handler(
        MessageHandler(new & filters.TEXT & filters.ChatType.PRIVATE, fallback.plain_text)
    )
    application.add_error_handler(errors.on_error)
