"""/newappeal and /update: paste, review, edit, publish (or /cancel); drafts outlive restarts.

The conversation's states are the draft's steps, kept in the database; STATES below says what
an admin's message does in each. Buttons under the draft: Publish (as urgent or not), Edit a
field (then a field, or Back), Cancel; /cancel works in every step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import ApplicationHandlerStop

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
from bot.presentation.keyboards import (
    SourceChoice,
    confirm_summary_keyboard,
    draft_fields_keyboard,
    draft_keyboard,
)
from bot.presentation.views import draft_card
from bot.services.actors import Actor
from bot.services.draft_fields import FIELDS
from bot.services.drafts import DraftService, DraftState, Step
from bot.services.references import Meant
from templates.i18n import _
from templates.telegram_html import split_message

Take = Callable[[DraftService, int, int, str], Awaitable[DraftState]]

STATES: dict[Step, Take] = {
    # The appeal's text, or a link to its page: read it, show the draft.
    Step.TEXT: lambda drafts, admin, chat, text: drafts.read_text(
        admin_id=admin, chat_id=chat, text=text
    ),
    # More text while reviewing: add it, show the draft again.
    Step.REVIEW: lambda drafts, admin, chat, text: drafts.add_text(
        admin_id=admin, chat_id=chat, text=text
    ),
    # A new value for the field being edited: write it, show the draft again.
    Step.EDIT: lambda drafts, admin, chat, text: drafts.write_field(
        admin_id=admin, chat_id=chat, value=text
    ),
}


def _admin_chat(update: Update) -> tuple[int, int]:
    chat_id, user_id = ids(update)
    if chat_id is None or user_id is None:
        raise LookupError("an admin command without a chat or a user")
    return user_id, chat_id


async def show_draft(update: Update, context: Context, state: DraftState) -> None:
    """Send the appeal as subscribers will see it, then the review card with its buttons."""
    chat_id, __ = ids(update)
    if chat_id is None or state.data is None:
        return
    presenter = context.bot_data.presenter
    age = presenter.draft_age(state.data, state.kind)
    message = presenter.broadcast(draft_card(state.data, kind=state.kind, age=age))
    for part in split_message(message.html or message.text):
        await context.bot.send_message(chat_id, part, parse_mode=ParseMode.HTML)
    await reply(
        update,
        context,
        "draft_review",
        data=state.data,
        is_update=state.kind.value == "update",
        warnings=presenter.draft_warnings(state.data, age),
        keyboard=draft_keyboard(year_unknown=state.data.year_unknown),
    )


async def new_appeal(update: Update, context: Context) -> None:
    """/newappeal: start a draft; the next message is the appeal text (or a link)."""
    admin_id, chat_id = _admin_chat(update)
    await context.bot_data.services.drafts.begin(admin_id=admin_id, chat_id=chat_id)
    await reply(update, context, "draft_ask_text", case_name=None)


async def update_case(update: Update, context: Context) -> None:
    """/update <case>: a follow-up on a case; the next message is its text."""
    admin_id, chat_id = _admin_chat(update)
    query = command_argument(update)
    if not query:
        await reply(
            update, context, "usage", text=_("/update <case>, for example /update Kuramshin")
        )
        return
    services = context.bot_data.services
    resolution = await services.resolver.case(query, public=False)
    if resolution.found is not Meant.CASE or resolution.case_id is None:
        await reply_missing(update, context, resolution, command="update")
        return
    await services.drafts.begin(admin_id=admin_id, chat_id=chat_id, case_id=resolution.case_id)
    await reply(update, context, "draft_ask_text", case_name=resolution.case_name)


async def cancel(update: Update, context: Context) -> None:
    """/cancel: throw the open draft away."""
    admin_id, chat_id = _admin_chat(update)
    had = await context.bot_data.services.drafts.cancel(admin_id=admin_id, chat_id=chat_id)
    await reply(update, context, "draft_cancelled", had_draft=had)


async def draft_input(update: Update, context: Context) -> None:
    """An admin's message while a draft is open goes to the draft (see STEPS)."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None or chat.type != ChatType.PRIVATE or not isinstance(message, Message):
        return
    text = message.text or message.caption or ""
    if not text.strip() or text.startswith("/"):
        return
    __, user_id = ids(update)
    services = context.bot_data.services
    if user_id is None or not await services.admins.is_admin(user_id):
        return
    current = await services.drafts.current(admin_id=user_id, chat_id=chat.id)
    if current is None:
        return  # no open draft: the message is for the other handlers
    state = await STATES[current.step](services.drafts, user_id, chat.id, text)
    await show_draft(update, context, state)
    raise ApplicationHandlerStop


async def _open_draft(update: Update, context: Context) -> DraftState | None:
    admin_id, chat_id = _admin_chat(update)
    state = await context.bot_data.services.drafts.current(admin_id=admin_id, chat_id=chat_id)
    if state is None or state.data is None:
        await answer(update, _("That draft is no longer open."), alert=True)
        await edit_keyboard(update, None)
        return None
    return state


async def publish_button(update: Update, context: Context) -> None:
    """Publish (as urgent or not) the reviewed draft, and start the broadcast; a summary that
    is still the pasted text is confirmed first."""
    callback = tap(update)
    urgent = callback.flag()
    confirmed = len(callback.args) > 1 and callback.flag(1)
    state = await _open_draft(update, context)
    if state is None:
        return
    await _publish(update, context, state, urgent=urgent, confirmed=confirmed)


async def _publish(
    update: Update, context: Context, state: DraftState, *, urgent: bool, confirmed: bool
) -> None:
    if state.data is None:
        return
    if state.data.summary_pasted and not confirmed:
        await answer(update)
        await reply(
            update,
            context,
            "draft_confirm_summary",
            summary=state.data.summary[:600],
            keyboard=confirm_summary_keyboard(urgent=urgent),
        )
        return
    admin_id, chat_id = _admin_chat(update)
    drafts = context.bot_data.services.drafts
    published = await drafts.publish(
        admin_id=admin_id, chat_id=chat_id, urgent=urgent, confirm_summary=confirmed
    )
    await answer(update, "Published.")
    await edit_keyboard(update, None)
    await reply(update, context, "published", published=published)


async def today_button(update: Update, context: Context) -> None:
    """The draft's appeal is from today: its dates without a year are this year's."""
    if await _open_draft(update, context) is None:
        return
    admin_id, chat_id = _admin_chat(update)
    state = await context.bot_data.services.drafts.date_today(admin_id=admin_id, chat_id=chat_id)
    await answer(update, _("Dated today."))
    await edit_keyboard(update, None)
    await show_draft(update, context, state)


async def edit_button(update: Update, context: Context) -> None:
    """Show the fields that can be changed."""
    if await _open_draft(update, context) is None:
        return
    await answer(update)
    await edit_keyboard(update, draft_fields_keyboard([(f.name, _(f.label)) for f in FIELDS]))


async def back_button(update: Update, context: Context) -> None:
    """Back from the field list to the publish buttons."""
    state = await _open_draft(update, context)
    if state is None or state.data is None:
        return
    await answer(update)
    await edit_keyboard(update, draft_keyboard(year_unknown=state.data.year_unknown))


async def field_button(update: Update, context: Context) -> None:
    """Ask for a new value of one field."""
    name = tap(update).args[0]
    if name not in {field.name for field in FIELDS}:
        await answer(update, _("This button has expired."))
        return
    if await _open_draft(update, context) is None:
        return
    admin_id, chat_id = _admin_chat(update)
    state = await context.bot_data.services.drafts.choose_field(
        admin_id=admin_id, chat_id=chat_id, name=name
    )
    await answer(update)
    field, data = state.field, state.data
    if field is None or data is None:
        return
    await reply(
        update,
        context,
        "draft_edit",
        label=_(field.label),
        hint=_(field.hint),
        current=field.show(data)[:3000],
    )


async def source_draft_button(update: Update, context: Context) -> None:
    """A followed source's draft: discard it, or take it into this admin's review and go on
    from the button chosen (publish, settle its year, edit a field)."""
    callback = tap(update)
    item_id, choice = callback.int_arg(), callback.args[1]
    if choice not in set(SourceChoice):
        await answer(update, _("This button has expired."))
        return
    admin_id, chat_id = _admin_chat(update)
    services = context.bot_data.services
    if choice == SourceChoice.DISCARD:
        discarded = await services.sources.discard(item_id, actor=Actor.telegram(admin_id))
        await answer(
            update,
            _("Discarded.") if discarded else _("Another admin has taken or discarded this draft."),
            alert=not discarded,
        )
        await edit_keyboard(update, None)
        return
    state = await services.drafts.take(admin_id=admin_id, chat_id=chat_id, item_id=item_id)
    year_unknown = state.data is not None and state.data.year_unknown
    if choice == SourceChoice.EDIT:
        await answer(update)
        await edit_keyboard(update, draft_fields_keyboard([(f.name, _(f.label)) for f in FIELDS]))
    elif choice == SourceChoice.TODAY:
        state = await services.drafts.date_today(admin_id=admin_id, chat_id=chat_id)
        await answer(update, _("Dated today."))
        await edit_keyboard(update, None)
        await show_draft(update, context, state)
    else:
        # From here on the message's buttons are the review's own, on the admin's draft.
        await edit_keyboard(update, draft_keyboard(year_unknown=year_unknown))
        urgent = choice == SourceChoice.URGENT
        await _publish(update, context, state, urgent=urgent, confirmed=False)


async def cancel_button(update: Update, context: Context) -> None:
    """Throw the draft away from its buttons."""
    await answer(update)
    await edit_keyboard(update, None)
    await cancel(update, context)
