"""/contacts and /letter: whom to protest to, and a model letter."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.handlers.replies import answer, command_argument, reply, reply_missing, tap
from bot.presentation.callbacks import Action
from bot.presentation.keyboards import letter_languages_keyboard
from bot.presentation.views import appeal_card, contact_groups
from bot.services.references import Meant
from storage.records import AppealRecord
from storage.standing import Age
from templates.i18n import _

LETTER_SHORTCUT = r"^/letter_([0-9]{1,10})(?:@\w+)?$"
CONTACTS_SHORTCUT = r"^/contacts_([0-9]{1,10})(?:@\w+)?$"
EXAMPLE = "Kurmanov"


async def _send(
    update: Update,
    context: Context,
    command: str,
    appeal: AppealRecord,
    age: Age,
    case_id: int | None = None,
    language: str | None = None,
) -> None:
    card = appeal_card(appeal, age)
    focus = next((case for case in appeal.cases if case.id == case_id), None)
    if command == "contacts":
        groups = contact_groups(appeal)
        await reply(update, context, "contacts", appeal=card, groups=groups)
        return
    pack = context.bot_data.presenter.letter_pack(appeal, age, focus=focus, language=language)
    keyboard = letter_languages_keyboard(
        pack.languages, pack.language, appeal_id=appeal.id, case_id=focus.id if focus else None
    )
    await reply(update, context, "letter", appeal=card, pack=pack, keyboard=keyboard)


async def _for_case(
    update: Update,
    context: Context,
    command: str,
    case_id: int,
    name: str | None,
    language: str | None = None,
) -> None:
    found = await context.bot_data.services.appeals.for_case(case_id)
    if found is None:
        await reply(update, context, "case_without_appeal", name=name or _("this case"))
        return
    await _send(update, context, command, found.appeal, found.age, case_id, language)


async def _for_appeal(
    update: Update, context: Context, command: str, appeal_id: int, language: str | None = None
) -> None:
    shown = await context.bot_data.services.appeals.show(appeal_id)
    if shown is None:
        await reply(update, context, "appeal_missing", appeal_id=appeal_id, withdrawn=False)
        return
    await _send(update, context, command, shown.appeal, shown.age, language=language)


async def answer_for(update: Update, context: Context, command: str, reference: str) -> None:
    """Answer /contacts or /letter for a case or an appeal."""
    resolution = await context.bot_data.services.resolver.case_or_appeal(reference)
    if resolution.found is Meant.APPEAL and resolution.appeal_id is not None:
        await _for_appeal(update, context, command, resolution.appeal_id)
    elif resolution.found is Meant.CASE and resolution.case_id is not None:
        await _for_case(update, context, command, resolution.case_id, resolution.case_name)
    else:
        await reply_missing(update, context, resolution, command=command)


async def _command(update: Update, context: Context, command: str) -> None:
    reference = command_argument(update)
    if not reference:
        await reply(update, context, "needs_argument", command=command, example=EXAMPLE)
        return
    await answer_for(update, context, command, reference)


async def contacts_command(update: Update, context: Context) -> None:
    """/contacts <case or appeal>."""
    await _command(update, context, "contacts")


async def letter_command(update: Update, context: Context) -> None:
    """/letter <case or appeal>."""
    await _command(update, context, "letter")


async def contacts_shortcut(update: Update, context: Context) -> None:
    """/contacts_<n>, as linked from appeals and broadcasts."""
    if context.matches:
        await answer_for(update, context, "contacts", context.matches[0].group(1))


async def letter_shortcut(update: Update, context: Context) -> None:
    """/letter_<n>, as linked from appeals and broadcasts."""
    if context.matches:
        await answer_for(update, context, "letter", context.matches[0].group(1))


async def contacts_or_letter_button(update: Update, context: Context) -> None:
    """Contacts and Model letter buttons under a case or an appeal."""
    await answer(update)
    callback = tap(update)
    command = (
        "letter" if callback.action in (Action.LETTER_CASE, Action.LETTER_APPEAL) else "contacts"
    )
    language = callback.args[1] if len(callback.args) > 1 else None
    if callback.action in (Action.CONTACTS_CASE, Action.LETTER_CASE):
        await _for_case(update, context, command, callback.int_arg(), None, language)
    elif language is None:
        await answer_for(update, context, command, callback.args[0])
    else:
        await _for_appeal(update, context, command, callback.int_arg(), language)
