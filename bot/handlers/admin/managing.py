"""/outcome, /withdraw, /stats and /admins."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.handlers.admin.guard import admin_only
from bot.handlers.replies import answer, command_argument, reply, tapped
from bot.services import admins as admin_service
from bot.services import stats as stats_service
from bot.services.appeals import appeal_id_for
from bot.services.cases import find_cases, named_hits
from bot.services.outcomes import USAGE, parse_outcome, record_outcome
from bot.services.publishing import retry_failed, withdraw
from core.errors import BadInputError
from core.ids import parse_user_id
from storage.repo import admins as admin_repo
from storage.repo.audit import log_action
from storage.repo.cases import get_case

WITHDRAW_USAGE = "/withdraw <appeal number or slug>, for example /withdraw 12"


@admin_only("outcome")
async def outcome(update: Update, context: Context) -> None:
    """/outcome <case> <status> [text]: record it, announce it, thank the protesters."""
    user, chat = update.effective_user, update.effective_chat
    request = parse_outcome(command_argument(update))
    if request is None or not request.case_query:
        await reply(update, context, "usage", text=USAGE)
        return
    services = context.bot_data.services
    delivery = services.delivery
    async with services.sessions.begin() as session:
        lookup = await find_cases(session, services.case_index, request.case_query, public=False)
        case = await get_case(session, lookup.best.case_id) if lookup.best else None
        hits = [] if case else await named_hits(session, lookup.candidates)
        result = None
        if case is not None:
            result = await record_outcome(
                session,
                case,
                request,
                admin_id=user.id if user else None,
                progress_chat_id=chat.id if chat else None,
                channels=delivery.channels if delivery else [],
                paid=services.settings.telegram_paid_broadcast,
            )
    if result is None:
        if hits:
            names = ", ".join(hit.case_name for hit in hits)
            await reply(
                update, context, "usage", text=f"Several cases match: {names}. Use the full name."
            )
        else:
            await reply(update, context, "case_none", query=request.case_query)
        return
    if delivery is not None:
        delivery.wake()
    await reply(update, context, "outcome_done", result=result)


@admin_only("withdraw")
async def withdraw_appeal(update: Update, context: Context) -> None:
    """/withdraw <appeal>: unpublish it and cancel what has not gone out."""
    user = update.effective_user
    reference = command_argument(update)
    if not reference:
        await reply(update, context, "usage", text=WITHDRAW_USAGE)
        return
    services = context.bot_data.services
    try:
        async with services.sessions.begin() as session:
            appeal_id = await appeal_id_for(session, reference)
            done = await withdraw(
                session,
                appeal_id,
                actor=f"telegram:{user.id if user else ''}",
                actor_id=user.id if user else None,
            )
    except BadInputError as problem:
        await reply(update, context, "draft_problem", problem=str(problem))
        return
    if services.delivery is not None:
        services.delivery.withdraw(done.appeal_id)
    await reply(update, context, "withdrawn", withdrawn=done)


@admin_only("retry failed")
async def retry_button(update: Update, context: Context) -> None:
    """Queue a finished broadcast's failed deliveries again (from its summary's button)."""
    user, callback = update.effective_user, tapped(update)
    if callback is None:
        await answer(update)
        return
    services = context.bot_data.services
    try:
        async with services.sessions.begin() as session:
            requeued = await retry_failed(
                session,
                callback.int_arg(),
                actor=f"telegram:{user.id if user else ''}",
                actor_id=user.id if user else None,
            )
    except BadInputError as problem:
        await answer(update, str(problem), alert=True)
        return
    if services.delivery is not None:
        services.delivery.wake()
    await answer(update, f"{requeued} queued again." if requeued else "Nothing failed any more.")


@admin_only("stats")
async def stats(update: Update, context: Context) -> None:
    """/stats: subscribers, appeals, protests, the last broadcasts."""
    async with context.bot_data.services.reads() as session:
        figures = await stats_service.collect(session)
    await reply(update, context, "stats", stats=figures)


@admin_only("admins")
async def manage_admins(update: Update, context: Context) -> None:
    """/admins, /admins add <id>, /admins remove <id>."""
    user = update.effective_user
    words = command_argument(update).split()
    services = context.bot_data.services
    message = ""
    async with services.sessions.begin() as session:
        if words:
            verb = words[0].lower()
            target = words[1] if len(words) > 1 else ""
            user_id = parse_user_id(target)
            if verb not in {"add", "remove"} or user_id is None:
                message = (
                    "Use /admins add <user id> or /admins remove <user id>: a Telegram user id "
                    "is a positive number, as @userinfobot shows it."
                )
            elif verb == "add":
                added = await admin_repo.add(
                    session, user_id=user_id, added_by=user.id if user else None
                )
                message = (
                    f"{target} is now an admin." if added else f"{target} already was an admin."
                )
            elif user_id in services.settings.admin_ids:
                message = (
                    f"{target} is an admin by configuration (APPEALBOT_ADMIN_IDS); change it there."
                )
            else:
                removed = await admin_repo.remove(session, user_id)
                message = (
                    f"{target} is no longer an admin." if removed else f"{target} was not an admin."
                )
            await log_action(
                session,
                actor=f"telegram:{user.id if user else ''}",
                actor_id=user.id if user else None,
                action=f"admins {verb}",
                subject=target[:40] or None,
                detail={"result": message},
            )
        listed = await admin_service.all_admins(session, services.settings)
    await reply(update, context, "admins", admins=listed, message=message)
