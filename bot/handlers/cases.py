"""/case: look a case up and show its summary; following a case."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.handlers.permissions import managing_tap
from bot.handlers.replies import answer, command_argument, edit_keyboard, reply, tapped
from bot.keyboards import case_keyboard, cases_keyboard, pick_keyboard
from bot.services import cases as case_service
from bot.services import subscriptions
from bot.services.lookup import MAX_QUERY_LENGTH
from core.ids import parse_row_id
from storage.repo.cases import get_case_by_slug


async def show_case(update: Update, context: Context, case_id: int) -> bool:
    """Send the summary of one case; False if there is no such case."""
    chat = update.effective_chat
    async with context.bot_data.services.reads() as session:
        view = await case_service.case_view(session, case_id, chat_id=chat.id if chat else None)
    if view is None:
        return False
    await reply(update, context, "case", view=view, keyboard=case_keyboard(view))
    return True


async def show_case_by_reference(update: Update, context: Context, reference: str) -> None:
    """Open a case from a deep link: its slug or its number."""
    async with context.bot_data.services.reads() as session:
        case = await get_case_by_slug(session, reference)
    case_id = case.id if case else parse_row_id(reference)
    if case_id is None or not await show_case(update, context, case_id):
        await reply(update, context, "case_none", query=reference)


async def look_up(update: Update, context: Context, query: str) -> None:
    """Answer a lookup: the case, a list to pick from, or nothing found."""
    services = context.bot_data.services
    chat = update.effective_chat
    view, hits = None, []
    async with services.reads() as session:
        lookup = await case_service.find_cases(session, services.case_index, query)
        if lookup.best is not None:
            chat_id = chat.id if chat else None
            view = await case_service.case_view(session, lookup.best.case_id, chat_id=chat_id)
        else:
            hits = await case_service.named_hits(session, lookup.candidates)
    if view is not None:
        await reply(update, context, "case", view=view, keyboard=case_keyboard(view))
        return
    if hits:
        await reply(
            update, context, "case_pick", query=query, hits=hits, keyboard=pick_keyboard(hits)
        )
        return
    await reply(update, context, "case_none", query=query)


async def case_command(update: Update, context: Context) -> None:
    """/case <name>: the case summary; /case alone: the open cases."""
    query = command_argument(update)
    if len(query) > MAX_QUERY_LENGTH:
        await reply(update, context, "too_long", limit=MAX_QUERY_LENGTH, command="case")
        return
    if query:
        await look_up(update, context, query)
        return
    async with context.bot_data.services.reads() as session:
        cases, total = await case_service.open_cases(session)
    example = min((case.name for case in cases), key=len, default="")
    await reply(
        update,
        context,
        "open_cases",
        cases=cases,
        total=total,
        example=example,
        keyboard=cases_keyboard(cases),
    )


async def case_button(update: Update, context: Context) -> None:
    """A button that opens a case."""
    await answer(update)
    callback = tapped(update)
    if callback is None or not await show_case(update, context, callback.int_arg()):
        await reply(update, context, "case_none", query="this case")


async def follow_button(update: Update, context: Context) -> None:
    """Follow a case, or stop following it, from its summary."""
    tap = await managing_tap(update, context)
    if tap is None:
        return
    callback, chat = tap
    case_id = callback.int_arg()
    services = context.bot_data.services
    async with services.sessions.begin() as session:
        following = await subscriptions.toggle_follow(session, chat.id, case_id)
    if following is None:
        await answer(update, "Subscribe first with /subscribe, then follow cases.", alert=True)
        return
    notice = "Following: updates on this case will reach you." if following else "Unfollowed."
    await answer(update, notice)
    async with services.reads() as session:
        view = await case_service.case_view(session, case_id, chat_id=chat.id)
    if view is not None:
        await edit_keyboard(update, case_keyboard(view))
