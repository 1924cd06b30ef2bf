"""/start (with deep links), /help and the welcome buttons."""

from __future__ import annotations

from telegram import Update

from bot.commands import ADMIN_COMMANDS, PUBLIC_COMMANDS
from bot.context import Context
from bot.handlers import appeals, cases
from bot.handlers.replies import answer, reply
from bot.keyboards import start_keyboard
from bot.services.admins import is_admin
from core.ids import parse_row_id

CASE_PREFIX, APPEAL_PREFIX = "case_", "appeal_"


async def start(update: Update, context: Context) -> None:
    """Welcome a reader, or open the case or appeal a deep link points to."""
    payload = context.args[0] if context.args else ""
    if payload.startswith(CASE_PREFIX):
        await cases.show_case_by_reference(update, context, payload.removeprefix(CASE_PREFIX))
        return
    if payload.startswith(APPEAL_PREFIX):
        appeal_id = parse_row_id(payload.removeprefix(APPEAL_PREFIX))
        if appeal_id is None:
            await reply(update, context, "appeal_missing", appeal_id="?", withdrawn=False)
        else:
            await appeals.show_appeal(update, context, appeal_id)
        return
    await reply(update, context, "start", keyboard=start_keyboard())


async def help_command(update: Update, context: Context) -> None:
    """List every command (and, for admins, theirs)."""
    user = update.effective_user
    services = context.bot_data.services
    async with services.reads() as session:
        admin = await is_admin(session, services.settings, user.id if user else None)
    await reply(
        update,
        context,
        "help",
        commands=PUBLIC_COMMANDS,
        admin_commands=ADMIN_COMMANDS if admin else (),
    )


async def help_button(update: Update, context: Context) -> None:
    """The Help button under the welcome message."""
    await answer(update)
    await help_command(update, context)
