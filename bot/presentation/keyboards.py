"""Inline keyboards; every button's data is built by bot.presentation.callbacks."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.delivery.figures import Progress
from bot.presentation.callbacks import Action, make
from bot.presentation.labels import language_name
from bot.presentation.views import AppealCard, CaseLink, CasePage, SettingsView
from core.timing import COMMON_ZONES
from templates.i18n import LANGUAGES, NAMES, _

LABEL_LIMIT = 40


def _label(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"


def _button(text: str, action: Action, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(_label(text), callback_data=make(action, *args))


def start_keyboard() -> InlineKeyboardMarkup:
    """Buttons under the welcome message."""
    return InlineKeyboardMarkup(
        [
            [_button(_("🔴 Latest urgent appeals"), Action.APPEALS_PAGE, 0)],
            [_button(_("🔔 Subscribe"), Action.SUBSCRIBE), _button(_("❓ Help"), Action.HELP)],
        ]
    )


def case_keyboard(page: CasePage) -> InlineKeyboardMarkup:
    """Buttons under a case summary."""
    rows = [
        [
            _button(_("📬 Contacts"), Action.CONTACTS_CASE, page.id),
            _button(_("✍️ Model letter"), Action.LETTER_CASE, page.id),
        ]
    ]
    if page.latest_appeal_id is not None and page.asks:
        rows.append(
            [_button(_("✊ I sent a protest"), Action.PROTEST, page.latest_appeal_id, page.id)]
        )
    if page.following is not None:
        label = _("🔕 Stop following") if page.following else _("🔔 Follow this case")
        rows.append([_button(label, Action.FOLLOW, page.id)])
    return InlineKeyboardMarkup(rows)


def cases_keyboard(cases: Sequence[CaseLink]) -> InlineKeyboardMarkup | None:
    """One button per case to choose from (at most ten)."""
    if not cases:
        return None
    return InlineKeyboardMarkup([[_button(case.name, Action.CASE, case.id)] for case in cases[:10]])


def appeals_keyboard(
    appeals: Sequence[AppealCard], *, offset: int, has_newer: bool, has_older: bool
) -> InlineKeyboardMarkup | None:
    """Buttons to open each appeal on the page and to move between pages."""
    if not appeals:
        return None
    numbers = [
        _button(str(offset + n), Action.APPEAL, appeal.id)
        for n, appeal in enumerate(appeals, start=1)
    ]
    paging = []
    if has_newer:
        paging.append(_button(_("« Newer"), Action.APPEALS_PAGE, max(0, offset - len(numbers))))
    if has_older:
        paging.append(_button(_("Older »"), Action.APPEALS_PAGE, offset + len(appeals)))
    return InlineKeyboardMarkup([numbers, paging] if paging else [numbers])


def appeal_keyboard(appeal: AppealCard, *, with_cases: bool = True) -> InlineKeyboardMarkup:
    """Buttons under an appeal (and, in the bot, one per case it is about)."""
    rows = [
        [
            _button(_("📬 Contacts"), Action.CONTACTS_APPEAL, appeal.id),
            _button(_("✍️ Model letter"), Action.LETTER_APPEAL, appeal.id),
        ]
    ]
    if appeal.asks:
        rows.append([_button(_("✊ I sent a protest"), Action.PROTEST, appeal.id, 0)])
    if with_cases:
        rows += [[_button(f"📁 {case.name}", Action.CASE, case.id)] for case in appeal.cases[:3]]
    return InlineKeyboardMarkup(rows)


def channel_keyboard(appeal: AppealCard, bot_username: str) -> InlineKeyboardMarkup:
    """Link buttons under a channel post: a channel has no chat to answer in, the bot has."""

    def link(payload: str) -> str:
        return f"https://t.me/{bot_username}?start={payload}"

    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("📬 Whom to write to"), url=link(f"contacts_{appeal.id}")),
                InlineKeyboardButton(_("✍️ Model letter"), url=link(f"letter_{appeal.id}")),
            ]
        ]
    )


def settings_keyboard(view: SettingsView, countries: Sequence[str]) -> InlineKeyboardMarkup:
    """Buttons that change a chat's subscription settings."""
    if not view.subscribed:
        return InlineKeyboardMarkup([[_button(_("🔔 Subscribe"), Action.SUBSCRIBE)]])
    urgent, every = _("Urgent only"), _("All appeals")
    if view.urgent_only:
        urgent = "✅ " + urgent
    else:
        every = "✅ " + every
    rows = [[_button(urgent, Action.SET_URGENT, 1), _button(every, Action.SET_URGENT, 0)]]
    if countries:
        rows.append(
            [
                _button(("✅ " if code in view.countries else "") + code, Action.SET_COUNTRY, code)
                for code in countries[:8]
            ]
        )
    rows.append(
        [
            _button(
                ("✅ " if zone == view.timezone else "🕐 ")
                + zone.rsplit("/", 1)[1].replace("_", " "),
                Action.SET_ZONE,
                n,
            )
            for n, zone in enumerate(COMMON_ZONES)
        ]
    )
    rows += [
        [_button(_("🔕 Unfollow %(name)s") % {"name": case.name}, Action.UNFOLLOW, case.id)]
        for case in view.followed
    ]
    rows.append(
        [
            _button(
                ("✅ " if code == view.language else "🌐 ") + NAMES[code], Action.SET_LANGUAGE, code
            )
            for code in LANGUAGES
        ]
    )
    return InlineKeyboardMarkup(rows)


def draft_keyboard(*, year_unknown: bool = False) -> InlineKeyboardMarkup:
    """Buttons under a draft under review (while its year is unknown, a way to settle it)."""
    rows = []
    if year_unknown:
        rows.append([_button(_("📅 It is from today"), Action.DRAFT_TODAY)])
    else:
        rows.append(
            [
                _button(_("🔴 Publish as urgent"), Action.DRAFT_PUBLISH, 1),
                _button(_("📣 Publish"), Action.DRAFT_PUBLISH, 0),
            ]
        )
    rows.append(
        [
            _button(_("✏️ Edit a field"), Action.DRAFT_EDIT),
            _button(_("✖️ Cancel"), Action.DRAFT_CANCEL),
        ]
    )
    return InlineKeyboardMarkup(rows)


class SourceChoice(StrEnum):
    """What an admin may do with a followed source's draft."""

    URGENT = "urgent"
    PUBLISH = "publish"
    TODAY = "today"
    EDIT = "edit"
    DISCARD = "discard"


def source_draft_keyboard(item_id: int, *, year_unknown: bool) -> InlineKeyboardMarkup:
    """The review's buttons under a source's draft: publish (as urgent or not), or settle
    its year first; edit a field; discard."""
    if year_unknown:
        first = [
            _button(_("📅 It is from today"), Action.SOURCE_DRAFT, item_id, SourceChoice.TODAY)
        ]
    else:
        first = [
            _button(_("🔴 Publish as urgent"), Action.SOURCE_DRAFT, item_id, SourceChoice.URGENT),
            _button(_("📣 Publish"), Action.SOURCE_DRAFT, item_id, SourceChoice.PUBLISH),
        ]
    return InlineKeyboardMarkup(
        [
            first,
            [
                _button(_("✏️ Edit a field"), Action.SOURCE_DRAFT, item_id, SourceChoice.EDIT),
                _button(_("🗑 Discard"), Action.SOURCE_DRAFT, item_id, SourceChoice.DISCARD),
            ],
        ]
    )


def confirm_summary_keyboard(*, urgent: bool) -> InlineKeyboardMarkup:
    """Publish with the pasted summary after all, or rewrite it first."""
    return InlineKeyboardMarkup(
        [
            [_button(_("✅ Keep it and publish"), Action.DRAFT_PUBLISH, int(urgent), 1)],
            [_button(_("✏️ Rewrite the summary"), Action.DRAFT_FIELD, "summary")],
            [_button(_("« Back to the draft"), Action.DRAFT_BACK)],
        ]
    )


def draft_fields_keyboard(fields: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup:
    """One button per (name, label) field of a draft, three to a row."""
    buttons = [_button(label, Action.DRAFT_FIELD, name) for name, label in fields]
    rows = [buttons[start : start + 3] for start in range(0, len(buttons), 3)]
    rows.append([_button(_("« Back to the draft"), Action.DRAFT_BACK)])
    return InlineKeyboardMarkup(rows)


def progress_keyboard(progress: Progress) -> InlineKeyboardMarkup | None:
    """A button under a finished broadcast's summary to send the failed deliveries again."""
    if not progress.finished or not progress.failed:
        return None
    label = _("🔁 Retry %(count)s failed") % {"count": progress.failed}
    return InlineKeyboardMarkup([[_button(label, Action.RETRY_FAILED, progress.appeal_id)]])


def confirm_broadcast_keyboard(broadcast_id: int) -> InlineKeyboardMarkup:
    """The button a second admin lets a held broadcast go out with."""
    label = _("✅ Confirm: send it")
    return InlineKeyboardMarkup([[_button(label, Action.CONFIRM_BROADCAST, broadcast_id)]])


def letter_languages_keyboard(
    languages: Sequence[str], chosen: str, *, appeal_id: int, case_id: int | None
) -> InlineKeyboardMarkup | None:
    """Buttons to have the letters written in another language the offices read."""
    if len(languages) < 2:
        return None
    action, ref = (
        (Action.LETTER_CASE, case_id) if case_id is not None else (Action.LETTER_APPEAL, appeal_id)
    )
    return InlineKeyboardMarkup(
        [
            [
                _button(
                    _("✍️ Letter in %(language)s") % {"language": language_name(code)},
                    action,
                    ref,
                    code,
                )
                for code in languages
                if code != chosen
            ]
        ]
    )


def open_appeals_keyboard() -> InlineKeyboardMarkup:
    """The button that sends a new subscriber the appeals still open."""
    return InlineKeyboardMarkup([[_button(_("📨 Send them"), Action.SEND_OPEN)]])


def follow_keyboard(cases: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    """Buttons to follow each of an appeal's cases (offered after "I sent a protest")."""
    return InlineKeyboardMarkup(
        [
            [_button(_("🔔 Follow %(name)s") % {"name": name}, Action.FOLLOW, case_id)]
            for case_id, name in cases[:3]
        ]
    )


def forget_keyboard() -> InlineKeyboardMarkup:
    """Confirm or call off /forget."""
    return InlineKeyboardMarkup(
        [
            [_button(_("🗑 Yes, delete everything"), Action.FORGET, 1)],
            [_button(_("Keep it"), Action.FORGET, 0)],
        ]
    )
