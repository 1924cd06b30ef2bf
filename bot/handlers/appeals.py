"""/appeals, one appeal, /appeal_<n>, and "I sent a protest"."""

from __future__ import annotations

from telegram import Message, Update

from bot.context import Context
from bot.handlers.replies import answer, edit, ids, reply, tap
from bot.presentation.keyboards import appeal_keyboard, appeals_keyboard, follow_keyboard
from bot.presentation.labels import NO_FURTHER_ACTION
from bot.presentation.views import appeal_card
from bot.services.references import Meant
from templates.i18n import _

APPEAL_SHORTCUT = r"^/appeal_([0-9]{1,10})(?:@\w+)?$"


async def _send_page(update: Update, context: Context, offset: int, *, in_place: bool) -> None:
    page = await context.bot_data.services.appeals.page(offset=offset)
    cards = [appeal_card(item.appeal, item.age) for item in page.appeals]
    values = {"appeals": cards, "offset": page.offset, "total": page.total}
    keyboard = appeals_keyboard(
        cards, offset=page.offset, has_newer=page.has_newer, has_older=page.has_older
    )
    if in_place and await edit(update, context, "appeals", keyboard=keyboard, **values):
        return
    await reply(update, context, "appeals", keyboard=keyboard, **values)


async def appeals_command(update: Update, context: Context) -> None:
    """/appeals: the newest published appeals, five per page."""
    await _send_page(update, context, 0, in_place=False)


async def page_button(update: Update, context: Context) -> None:
    """Move to a newer or older page (the first page when it came from /start)."""
    await answer(update)
    callback = tap(update)
    offset = callback.int_arg() if callback.args else 0
    query = update.callback_query
    message = query.message if query else None
    is_list = isinstance(message, Message) and (message.text or "").startswith(_("Latest appeals"))
    await _send_page(update, context, offset, in_place=is_list)


async def show_appeal(update: Update, context: Context, appeal_id: int) -> None:
    """Send one public appeal in full."""
    shown = await context.bot_data.services.appeals.show(appeal_id)
    if shown is None:
        await reply(update, context, "appeal_missing", appeal_id=appeal_id, withdrawn=False)
        return
    card = appeal_card(shown.appeal, shown.age)
    await reply(
        update,
        context,
        "appeal",
        appeal=card,
        protests=shown.protests,
        keyboard=appeal_keyboard(card),
    )


async def open_appeal(update: Update, context: Context, reference: str) -> None:
    """Open an appeal by its number or slug (a withdrawn one says so)."""
    resolution = await context.bot_data.services.resolver.appeal(reference)
    if resolution.found is Meant.APPEAL and resolution.appeal_id is not None:
        await show_appeal(update, context, resolution.appeal_id)
    else:
        await reply(
            update,
            context,
            "appeal_missing",
            appeal_id=reference,
            withdrawn=resolution.found is Meant.WITHDRAWN,
        )


async def appeal_button(update: Update, context: Context) -> None:
    """A button that opens an appeal."""
    await answer(update)
    await open_appeal(update, context, tap(update).args[0])


async def appeal_shortcut(update: Update, context: Context) -> None:
    """/appeal_<n>, as linked from a case timeline."""
    match = context.matches[0] if context.matches else None
    if match is not None:
        await open_appeal(update, context, match.group(1))


async def protest_button(update: Update, context: Context) -> None:
    """Count "I sent a protest" once per person and appeal."""
    callback = tap(update)
    __, user_id = ids(update)
    if user_id is None:
        await answer(update)
        return
    protest = await context.bot_data.services.appeals.protest(
        callback.int_arg(0), user_id=user_id, case_id=callback.int_arg(1) or None
    )
    if protest.closed:
        await answer(update, _(NO_FURTHER_ACTION), alert=True)
        return
    if protest.counted is None:
        await answer(update, _("This appeal is no longer available."), alert=True)
        return
    if protest.counted:
        text = _("Thank you! Your protest is counted (%(total)s so far).")
        await answer(update, text % {"total": protest.total})
    else:
        text = _("Already counted – thank you! (%(total)s so far)")
        await answer(update, text % {"total": protest.total})
        return
    chat_id, __ = ids(update)
    if chat_id is None or chat_id != user_id:
        return  # in a group, the offer would speak to everyone
    # Who protested is not kept: to hear how the case ends, one follows it.
    subscribed, cases = await context.bot_data.services.subscriptions.follow_offer(
        chat_id, callback.int_arg(0)
    )
    if cases:
        keyboard = follow_keyboard([(c.id, c.name) for c in cases]) if subscribed else None
        await reply(
            update,
            context,
            "follow_offer",
            keyboard=keyboard,
            subscribed=subscribed,
            names=", ".join(c.name for c in cases),
        )
