"""/contacts and /letter: whom to protest to, and a model letter."""

from __future__ import annotations

import re

from telegram import Update

from bot.callbacks import Action
from bot.context import Context
from bot.handlers.replies import answer, command_argument, reply, tapped
from bot.keyboards import pick_keyboard
from bot.services import appeals as appeal_service
from bot.services.cases import named_hits
from bot.services.lookup import MAX_QUERY_LENGTH
from storage.models import Appeal

LETTER_COMMAND = re.compile(r"^/letter_(\d{1,9})(?:@\w+)?$")
CONTACTS_COMMAND = re.compile(r"^/contacts_(\d{1,9})(?:@\w+)?$")
EXAMPLE = "Kurmanov"


async def _send_contacts(update: Update, context: Context, appeal: Appeal) -> None:
    groups = appeal_service.group_targets(appeal)
    await reply(update, context, "contacts", appeal=appeal, groups=groups)


async def _send_letter(
    update: Update, context: Context, appeal: Appeal, focus: str | None = None
) -> None:
    templates = context.bot_data.services.templates
    letter = appeal_service.model_letter(templates, appeal, focus=focus)
    await reply(
        update,
        context,
        "letter",
        appeal=appeal,
        letter=letter.text,
        recipients=letter.recipients,
        copies=letter.copies,
    )


async def _resolve_and_send(update: Update, context: Context, command: str) -> None:
    text = command_argument(update)
    if not text:
        await reply(update, context, "needs_argument", command=command, example=EXAMPLE)
        return
    if len(text) > MAX_QUERY_LENGTH:
        await reply(update, context, "too_long", limit=MAX_QUERY_LENGTH, command=command)
        return
    services = context.bot_data.services
    async with services.reads() as session:
        resolved = await appeal_service.resolve(session, services.case_index, text)
        hits = await named_hits(session, resolved.lookup.candidates) if resolved.lookup else []
    if resolved.withdrawn:
        await reply(update, context, "appeal_missing", appeal_id=text, withdrawn=True)
    elif resolved.appeal is not None and command == "contacts":
        await _send_contacts(update, context, resolved.appeal)
    elif resolved.appeal is not None:
        await _send_letter(update, context, resolved.appeal, resolved.case_name)
    elif resolved.lookup is not None and resolved.lookup.best is not None:
        await reply(update, context, "case_without_appeal", name=resolved.lookup.best.name)
    elif hits:
        await reply(
            update, context, "case_pick", query=text, hits=hits, keyboard=pick_keyboard(hits)
        )
    else:
        await reply(update, context, "case_none", query=text)


async def contacts_command(update: Update, context: Context) -> None:
    """/contacts <case or appeal>."""
    await _resolve_and_send(update, context, "contacts")


async def letter_command(update: Update, context: Context) -> None:
    """/letter <case or appeal>."""
    await _resolve_and_send(update, context, "letter")


async def shortcut(update: Update, context: Context) -> None:
    """/contacts_<n> and /letter_<n>, as linked from appeals and broadcasts."""
    message = update.effective_message
    text = (message.text or "") if message else ""
    match = LETTER_COMMAND.match(text) or CONTACTS_COMMAND.match(text)
    if match is None:
        return
    async with context.bot_data.services.reads() as session:
        found = await appeal_service.public_appeal(session, int(match.group(1)))
    appeal = found.appeal
    if appeal is None:
        await reply(
            update, context, "appeal_missing", appeal_id=match.group(1), withdrawn=found.withdrawn
        )
    elif match.re is CONTACTS_COMMAND:
        await _send_contacts(update, context, appeal)
    else:
        await _send_letter(update, context, appeal)


async def contacts_or_letter_button(update: Update, context: Context) -> None:
    """Contacts and Model letter buttons under a case or an appeal."""
    await answer(update)
    callback = tapped(update)
    if callback is None:
        return
    target_id = callback.int_arg()
    withdrawn = False
    async with context.bot_data.services.reads() as session:
        if callback.action in (Action.CONTACTS_CASE, Action.LETTER_CASE):
            appeal = await appeal_service.latest_appeal_for_case(session, target_id)
        else:
            found = await appeal_service.public_appeal(session, target_id)
            appeal, withdrawn = found.appeal, found.withdrawn
    if appeal is None:
        await reply(update, context, "appeal_missing", appeal_id=target_id, withdrawn=withdrawn)
    elif callback.action in (Action.CONTACTS_CASE, Action.CONTACTS_APPEAL):
        await _send_contacts(update, context, appeal)
    elif callback.action is Action.LETTER_CASE:
        await _send_letter(update, context, appeal, appeal_service.case_name(appeal, target_id))
    else:
        await _send_letter(update, context, appeal)
