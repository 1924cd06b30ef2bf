"""/case: look a case up and show its summary; following a case."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.handlers.replies import (
    answer,
    command_argument,
    edit_keyboard,
    ids,
    reply,
    reply_missing,
    tap,
)
from bot.presentation.keyboards import case_keyboard, cases_keyboard
from bot.presentation.views import case_links, case_page
from bot.services.references import Meant
from templates.i18n import _


async def show_case(update: Update, context: Context, case_id: int) -> None:
    """Send the summary of one public case (or say there is none)."""
    chat_id, __ = ids(update)
    found = await context.bot_data.services.cases.summary(case_id, chat_id=chat_id)
    if found is None:
        await reply(update, context, "case_none", query=_("this case"))
        return
    page = case_page(found)
    await reply(update, context, "case", case=page, keyboard=case_keyboard(page))


async def open_case(update: Update, context: Context, reference: str) -> None:
    """Open what someone asked for: a case by name, slug or number."""
    resolution = await context.bot_data.services.resolver.case(reference)
    if resolution.found is Meant.CASE and resolution.case_id is not None:
        await show_case(update, context, resolution.case_id)
    else:
        await reply_missing(update, context, resolution)


async def case_command(update: Update, context: Context) -> None:
    """/case <name>: the case summary; /case alone: the open cases."""
    query = command_argument(update)
    if query:
        await open_case(update, context, query)
        return
    found, total = await context.bot_data.services.cases.open_cases()
    links = case_links(found)
    example = min((case.name for case in links), key=len, default="")
    await reply(
        update,
        context,
        "open_cases",
        cases=links,
        total=total,
        example=example,
        keyboard=cases_keyboard(links),
    )


async def case_button(update: Update, context: Context) -> None:
    """A button that opens a case."""
    await answer(update)
    await show_case(update, context, tap(update).int_arg())


async def follow_button(update: Update, context: Context) -> None:
    """Follow a case, or stop following it, from its summary."""
    chat_id, __ = ids(update)
    case_id = tap(update).int_arg()
    if chat_id is None:
        await answer(update)
        return
    services = context.bot_data.services
    following = await services.subscriptions.toggle_follow(chat_id, case_id)
    if following is None:
        await answer(update, _("Subscribe first with /subscribe, then follow cases."), alert=True)
        return
    notice = _("Following: updates on this case will reach you.") if following else _("Unfollowed.")
    await answer(update, notice)
    found = await services.cases.summary(case_id, chat_id=chat_id)
    if found is not None:
        await edit_keyboard(update, case_keyboard(case_page(found)))
