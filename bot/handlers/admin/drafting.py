"""/newappeal and /update: paste, review, edit, publish (or /cancel); drafts outlive restarts."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import ApplicationHandlerStop

from bot.callbacks import Action
from bot.context import Context, Services
from bot.delivery.render import telegram_message
from bot.extract.draft import DraftData
from bot.extract.fetch import FetchOptions, fetch_page, single_link
from bot.handlers.admin.guard import admin_only
from bot.handlers.replies import answer, command_argument, edit_keyboard, reply, tapped
from bot.keyboards import draft_fields_keyboard, draft_keyboard
from bot.services import drafts
from bot.services.admins import is_admin
from bot.services.cases import find_cases, named_hits
from bot.services.publishing import Published
from core.errors import BadInputError
from storage.enums import AppealKind
from storage.models import Draft
from storage.repo.cases import get_case
from storage.types import utcnow
from templates import format_date
from templates.telegram_html import split_message


def _current_value(data: DraftData, field: str) -> str:
    if field == "title":
        return data.title
    if field == "summary":
        return data.summary
    if field == "place":
        return data.place or ""
    if field == "source":
        return data.source_url or ""
    if field == "deadline":
        return format_date(data.deadline) if data.deadline else ""
    if field == "dates":
        return "\n".join(f"{format_date(event.on)}: {event.label}" for event in data.events)
    if field == "demands":
        return "\n".join(data.demands)
    if field == "cases":
        return "\n".join(case.name for case in data.cases)
    blocks = []
    for target in data.targets:
        lines = [("Copies to: " if target.kind.value == "copy_to" else "") + target.name]
        lines += [f"Email: {email}" for email in target.emails]
        lines += [f"Fax: {fax}" for fax in target.faxes]
        lines += [f"Tel: {phone}" for phone in target.phones]
        if target.postal_address:
            lines.append(target.postal_address)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


async def show_draft(update: Update, context: Context, data: DraftData, kind: AppealKind) -> None:
    """Send the appeal as subscribers will see it, then the review card with its buttons."""
    chat = update.effective_chat
    if chat is None:
        return
    templates = context.bot_data.services.templates
    rendered = telegram_message(templates, drafts.preview(data, kind=kind))
    for part in split_message(rendered.html or rendered.text):
        await context.bot.send_message(chat.id, part, parse_mode=ParseMode.HTML)
    await reply(
        update,
        context,
        "draft_review",
        data=data,
        kind=kind,
        warnings=data.warnings(),
        keyboard=draft_keyboard(),
    )


async def _open_draft(services: Services, update: Update) -> Draft | None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    async with services.reads() as session:
        return await drafts.current(session, admin_id=user.id, chat_id=chat.id)


@admin_only("newappeal")
async def new_appeal(update: Update, context: Context) -> None:
    """/newappeal: start a draft; the next message is the appeal text (or a link)."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None
    assert chat is not None
    async with context.bot_data.services.sessions.begin() as session:
        await drafts.begin(session, admin_id=user.id, chat_id=chat.id)
    await reply(update, context, "draft_ask_text", case_name=None)


@admin_only("update")
async def update_case(update: Update, context: Context) -> None:
    """/update <case>: a follow-up on a case; the next message is its text."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None
    assert chat is not None
    query = command_argument(update)
    if not query:
        await reply(update, context, "usage", text="/update <case>, for example /update Kuramshin")
        return
    services = context.bot_data.services
    async with services.sessions.begin() as session:
        lookup = await find_cases(session, services.case_index, query, public=False)
        if lookup.best is None:
            hits = await named_hits(session, lookup.candidates)
            case = None
        else:
            hits = []
            case = await get_case(session, lookup.best.case_id)
            if case is not None:
                await drafts.begin(session, admin_id=user.id, chat_id=chat.id, case=case)
    if case is not None:
        await reply(update, context, "draft_ask_text", case_name=case.name)
    elif hits:
        names = ", ".join(hit.case_name for hit in hits)
        await reply(
            update,
            context,
            "usage",
            text=f"Several cases match: {names}. Send /update with the full name.",
        )
    else:
        await reply(update, context, "case_none", query=query)


async def cancel(update: Update, context: Context) -> None:
    """/cancel: throw the open draft away."""
    services = context.bot_data.services
    draft = await _open_draft(services, update)
    if draft is not None:
        async with services.sessions.begin() as session:
            stored = await session.get(Draft, draft.id)
            if stored is not None:
                await drafts.cancel(session, stored)
    await reply(update, context, "draft_cancelled", had_draft=draft is not None)


async def draft_input(update: Update, context: Context) -> None:
    """Text from an admin with an open draft: the appeal, more of it, or a field's new value."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or user is None or not isinstance(message, Message):
        return
    if chat.type != ChatType.PRIVATE:
        return
    text = message.text or message.caption or ""
    if not text.strip() or text.startswith("/"):
        return
    services = context.bot_data.services
    draft = await _open_draft(services, update)
    if draft is None:
        return
    async with services.reads() as session:
        if not await is_admin(session, services.settings, user.id):
            return
    today = utcnow().date()
    try:
        source_url = None
        if not draft.step.startswith(drafts.EDIT) and (link := single_link(text)):
            options = FetchOptions.for_settings(allow_private=services.settings.fetch_allow_private)
            page = await fetch_page(link, options)
            text, source_url = page.text, link
        async with services.sessions.begin() as session:
            stored = await session.get(Draft, draft.id)
            if stored is None:
                return
            if stored.step.startswith(drafts.EDIT):
                data = await drafts.apply_edit(
                    session, stored, text, today=today, index=services.case_index
                )
            else:
                data = await drafts.take_text(
                    session,
                    stored,
                    text,
                    today=today,
                    index=services.case_index,
                    source_url=source_url,
                )
            kind = stored.kind
    except BadInputError as problem:
        await reply(update, context, "draft_problem", problem=str(problem))
        raise ApplicationHandlerStop from None
    await show_draft(update, context, data, kind)
    raise ApplicationHandlerStop


async def _tapped_draft(update: Update, context: Context) -> Draft | None:
    draft = await _open_draft(context.bot_data.services, update)
    if draft is None or drafts.data_of(draft) is None:
        await answer(update, "That draft is no longer open.", alert=True)
        await edit_keyboard(update, None)
        return None
    return draft


@admin_only("publish")
async def publish_button(update: Update, context: Context) -> None:
    """Publish (as urgent or not) the reviewed draft, and start the broadcast."""
    callback = tapped(update)
    draft = await _tapped_draft(update, context)
    if draft is None or callback is None:
        return
    services = context.bot_data.services
    delivery = services.delivery
    async with services.sessions.begin() as session:
        stored = await session.get(Draft, draft.id)
        if stored is None:
            await answer(update, "That draft is no longer open.", alert=True)
            return
        published: Published = await drafts.publish_draft(
            session,
            stored,
            urgent=callback.args[:1] == ("1",),
            channels=delivery.channels if delivery else [],
            paid=services.settings.telegram_paid_broadcast,
        )
    services.case_index.invalidate()
    if delivery is not None:
        delivery.wake()
    await answer(update, "Published.")
    await edit_keyboard(update, None)
    await reply(update, context, "published", published=published)


@admin_only("edit")
async def edit_button(update: Update, context: Context) -> None:
    """Show the fields that can be changed."""
    if await _tapped_draft(update, context) is None:
        return
    await answer(update)
    await edit_keyboard(update, draft_fields_keyboard(drafts.FIELDS))


@admin_only("edit")
async def back_button(update: Update, context: Context) -> None:
    """Back from the field list to the publish buttons."""
    if await _tapped_draft(update, context) is None:
        return
    await answer(update)
    await edit_keyboard(update, draft_keyboard())


@admin_only("edit")
async def field_button(update: Update, context: Context) -> None:
    """Ask for a new value of one field."""
    callback = tapped(update)
    if callback is None or callback.args[0] not in drafts.FIELDS:
        await answer(update, "This button has expired.")
        return
    field = callback.args[0]
    draft = await _tapped_draft(update, context)
    if draft is None:
        return
    async with context.bot_data.services.sessions.begin() as session:
        stored = await session.get(Draft, draft.id)
        if stored is None:
            return
        hint = await drafts.choose_field(session, stored, field)
        data = drafts.data_of(stored)
    await answer(update)
    current = _current_value(data, field) if data else ""
    await reply(
        update,
        context,
        "draft_edit",
        label=drafts.FIELDS[field],
        hint=hint,
        current=current[:3000],
    )


@admin_only("cancel")
async def cancel_button(update: Update, context: Context) -> None:
    """Throw the draft away from its buttons."""
    await answer(update)
    await edit_keyboard(update, None)
    await cancel(update, context)


DRAFT_BUTTONS = {
    Action.DRAFT_PUBLISH: publish_button,
    Action.DRAFT_EDIT: edit_button,
    Action.DRAFT_BACK: back_button,
    Action.DRAFT_FIELD: field_button,
    Action.DRAFT_CANCEL: cancel_button,
}
