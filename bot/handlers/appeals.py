"""/appeals, one appeal, /appeal_<n>, and "I sent a protest"."""

from __future__ import annotations

import re

from telegram import Update

from bot.context import Context
from bot.handlers.replies import answer, edit, reply, tapped
from bot.keyboards import appeal_keyboard, appeals_keyboard
from bot.services import appeals as appeal_service
from storage.repo.actions import record_action

APPEAL_COMMAND = re.compile(r"^/appeal_(\d{1,9})(?:@\w+)?$")


async def appeals_command(update: Update, context: Context) -> None:
    """/appeals: the newest published appeals, five per page."""
    async with context.bot_data.services.reads() as session:
        page = await appeal_service.appeals_page(session, offset=0)
    await reply(
        update,
        context,
        "appeals",
        appeals=page.appeals,
        offset=page.offset,
        total=page.total,
        keyboard=appeals_keyboard(page),
    )


async def page_button(update: Update, context: Context) -> None:
    """Move to a newer or older page (the first page when it came from /start)."""
    await answer(update)
    callback = tapped(update)
    offset = callback.int_arg() if callback and callback.args else 0
    async with context.bot_data.services.reads() as session:
        page = await appeal_service.appeals_page(session, offset=offset)
    values = {"appeals": page.appeals, "offset": page.offset, "total": page.total}
    keyboard = appeals_keyboard(page)
    message = update.callback_query.message if update.callback_query else None
    is_list = message is not None and getattr(message, "text", "").startswith("Latest appeals")
    if not (is_list and await edit(update, context, "appeals", keyboard=keyboard, **values)):
        await reply(update, context, "appeals", keyboard=keyboard, **values)


async def show_appeal(update: Update, context: Context, appeal_id: int) -> None:
    """Send one appeal in full."""
    async with context.bot_data.services.reads() as session:
        found = await appeal_service.public_appeal(session, appeal_id)
        appeal = found.appeal
        protests = await appeal_service.protest_count(session, appeal_id) if appeal else 0
    if appeal is None:
        await reply(
            update, context, "appeal_missing", appeal_id=appeal_id, withdrawn=found.withdrawn
        )
        return
    await reply(
        update,
        context,
        "appeal",
        appeal=appeal,
        protests=protests,
        keyboard=appeal_keyboard(appeal),
    )


async def appeal_button(update: Update, context: Context) -> None:
    """A button that opens an appeal."""
    await answer(update)
    callback = tapped(update)
    if callback is not None:
        await show_appeal(update, context, callback.int_arg())


async def appeal_command(update: Update, context: Context) -> None:
    """/appeal_<n>, as linked from a case timeline."""
    message = update.effective_message
    match = APPEAL_COMMAND.match(message.text or "") if message else None
    if match:
        await show_appeal(update, context, int(match.group(1)))


async def protest_button(update: Update, context: Context) -> None:
    """Count "I sent a protest" once per person and appeal."""
    callback = tapped(update)
    user = update.effective_user
    if callback is None or user is None:
        await answer(update)
        return
    appeal_id, case_id = callback.int_arg(0), callback.int_arg(1)
    services = context.bot_data.services
    async with services.sessions.begin() as session:
        appeal = (await appeal_service.public_appeal(session, appeal_id)).appeal
        if appeal is None:
            counted = None
        else:
            counted = await record_action(
                session, appeal_id=appeal_id, user_id=user.id, case_id=case_id or None
            )
        total = await appeal_service.protest_count(session, appeal_id)
    if counted is None:
        await answer(update, "This appeal is no longer available.", alert=True)
    elif counted:
        await answer(update, f"Thank you! Your protest is counted ({total} so far).")
    else:
        await answer(update, f"Already counted – thank you! ({total} so far)")
