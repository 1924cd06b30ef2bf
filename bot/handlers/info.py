"""/start (with deep links), /help and the welcome buttons."""

from __future__ import annotations

from telegram import Update

from bot.commands import Audience
from bot.context import Context
from bot.handlers import appeals, cases, contacts
from bot.handlers.replies import answer, ids, reply
from bot.presentation.keyboards import start_keyboard

CASE_PREFIX, APPEAL_PREFIX = "case_", "appeal_"
CONTACTS_PREFIX, LETTER_PREFIX = "contacts_", "letter_"


async def start(update: Update, context: Context) -> None:
    """Welcome a reader, or open the case or appeal a deep link points to."""
    payload = context.args[0] if context.args else ""
    if payload.startswith(CASE_PREFIX):
        await cases.open_case(update, context, payload.removeprefix(CASE_PREFIX))
    elif payload.startswith(APPEAL_PREFIX):
        await appeals.open_appeal(update, context, payload.removeprefix(APPEAL_PREFIX))
    elif payload.startswith(CONTACTS_PREFIX):
        await contacts.answer_for(
            update, context, "contacts", payload.removeprefix(CONTACTS_PREFIX)
        )
    elif payload.startswith(LETTER_PREFIX):
        await contacts.answer_for(update, context, "letter", payload.removeprefix(LETTER_PREFIX))
    else:
        channel = context.bot_data.services.mirror.link
        await reply(update, context, "start", channel=channel, keyboard=start_keyboard())


async def help_command(update: Update, context: Context) -> None:
    """List every command (and, for admins, theirs)."""
    __, user_id = ids(update)
    admin = await context.bot_data.services.admins.is_admin(user_id)
    table = context.bot_data.commands
    await reply(
        update,
        context,
        "help",
        commands=[c for c in table if c.audience is not Audience.BOT_ADMINS],
        admin_commands=[c for c in table if c.audience is Audience.BOT_ADMINS] if admin else [],
    )


async def help_button(update: Update, context: Context) -> None:
    """The Help button under the welcome message."""
    await answer(update)
    await help_command(update, context)
