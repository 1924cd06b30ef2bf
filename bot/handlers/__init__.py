"""Telegram handlers: parse the update, call a service, render a template, reply."""

from __future__ import annotations

import functools

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import Action, pattern
from bot.context import AppType, Context, HandlerCallback
from bot.handlers import appeals, cases, contacts, errors, fallback, info, subscriptions
from bot.handlers.admin import drafting, managing
from bot.handlers.replies import answer, tapped

EXPIRED = "This button has expired."

_BUTTONS: dict[Action, HandlerCallback] = {
    Action.CASE: cases.case_button,
    Action.FOLLOW: cases.follow_button,
    Action.APPEAL: appeals.appeal_button,
    Action.APPEALS_PAGE: appeals.page_button,
    Action.PROTEST: appeals.protest_button,
    Action.CONTACTS_CASE: contacts.contacts_or_letter_button,
    Action.CONTACTS_APPEAL: contacts.contacts_or_letter_button,
    Action.LETTER_CASE: contacts.contacts_or_letter_button,
    Action.LETTER_APPEAL: contacts.contacts_or_letter_button,
    Action.SUBSCRIBE: subscriptions.subscribe_button,
    Action.HELP: info.help_button,
    Action.SET_URGENT: subscriptions.settings_button,
    Action.SET_COUNTRY: subscriptions.settings_button,
    Action.UNFOLLOW: subscriptions.settings_button,
    Action.RETRY_FAILED: managing.retry_button,
    **drafting.DRAFT_BUTTONS,
}


def checked_button(callback: HandlerCallback) -> HandlerCallback:
    """Run a button's handler only for data that is well formed; say it expired otherwise."""

    @functools.wraps(callback)
    async def checked(update: Update, context: Context) -> None:
        if tapped(update) is None:
            await answer(update, EXPIRED)
            return
        await callback(update, context)

    return checked


async def expired_button(update: Update, _context: Context) -> None:
    """Any other button: one of ours from an older version, or not ours at all."""
    await answer(update, EXPIRED)


def register(application: AppType) -> None:
    """Attach every handler to the application."""
    commands: dict[str, HandlerCallback] = {
        "start": info.start,
        "help": info.help_command,
        "case": cases.case_command,
        "appeals": appeals.appeals_command,
        "contacts": contacts.contacts_command,
        "letter": contacts.letter_command,
        "subscribe": subscriptions.subscribe_command,
        "unsubscribe": subscriptions.unsubscribe_command,
        "settings": subscriptions.settings_command,
    }
    commands.update(
        {
            "newappeal": drafting.new_appeal,
            "update": drafting.update_case,
            "cancel": drafting.cancel,
            "outcome": managing.outcome,
            "withdraw": managing.withdraw_appeal,
            "stats": managing.stats,
            "admins": managing.manage_admins,
        }
    )
    # Only new messages: an edited earlier message is not run (or added to a draft) again.
    new = filters.UpdateType.MESSAGE
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=new))
    # An admin's text goes to their open draft first; other text falls through to the hint.
    application.add_handler(
        MessageHandler(
            new & (filters.TEXT | filters.CAPTION) & filters.ChatType.PRIVATE,
            drafting.draft_input,
        ),
        group=-1,
    )
    application.add_handler(
        MessageHandler(new & filters.Regex(appeals.APPEAL_COMMAND), appeals.appeal_command)
    )
    shortcuts = filters.Regex(contacts.LETTER_COMMAND) | filters.Regex(contacts.CONTACTS_COMMAND)
    application.add_handler(MessageHandler(new & shortcuts, contacts.shortcut))
    for action, callback in _BUTTONS.items():
        application.add_handler(
            CallbackQueryHandler(checked_button(callback), pattern=pattern(action))
        )
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
