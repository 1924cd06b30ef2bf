"""The presenter: templates with our labels, and the messages delivery sends."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from urllib.parse import urlencode, urlsplit

from bot.delivery.channels import Message, Renders
from bot.extract.draft import DraftData
from bot.presentation.documents import event_document
from bot.presentation.keyboards import appeal_keyboard, channel_keyboard, source_draft_keyboard
from bot.presentation.labels import FILTERS, age_note, format_date
from bot.presentation.letters import LetterPack, LetterWriter
from bot.presentation.localized import event_label
from bot.presentation.views import AppealCard, appeal_card
from storage.enums import AppealKind, DatePrecision, DeliveryPurpose
from storage.models import Appeal, Case
from storage.repo.sources import DraftForReview
from storage.standing import Age, AgePolicy
from templates import Templates
from templates.i18n import _, current, ngettext, speaking

SUMMARY_STEPS = (None, 2500, 1500, 800, 300)


def as_text(message: Message) -> Message:
    """Return a Telegram message as plain text and simple HTML, for any other chat: the same
    words, without Telegram's buttons."""
    plain = html.unescape(re.sub(r"<[^>]+>", "", message.html or message.text))
    simple = (message.html or message.text).replace("\n", "<br>\n")
    return Message(text=plain, html=simple, subject=message.subject)


def _shorten(text: str, limit: int | None, appeal_id: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return _("%(cut)s… (the whole text: /appeal_%(id)s)") % {"cut": cut, "id": appeal_id}


class Presenter:
    """Render what people read: Telegram replies, broadcasts, emails, letters."""

    def __init__(
        self,
        templates: Templates | None = None,
        *,
        ages: AgePolicy | None = None,
        public_url: str = "http://127.0.0.1:8080",
        safety_notes: Mapping[str, str] | None = None,
    ) -> None:
        self.templates = templates or Templates(filters=FILTERS)
        self.ages = ages or AgePolicy()
        self.letters = LetterWriter(self.templates, safety_notes=safety_notes)
        self.public_url = public_url.rstrip("/")
        self.bot_username: str | None = None  # known once the bot has said who it is
        self.templates.env.globals["page"] = self.page_url

    def address(self, path: str, *, language: str | None = None, **query: str) -> str:
        """Return a public address (a page, a feed, a calendar) in ``language``, by default
        the one being spoken."""
        return f"{self.public_url}{path}?{urlencode({'lang': language or current(), **query})}"

    def page_url(self, kind: str, slug: str) -> str:
        """Return the public page of an appeal or case (``kind``: "appeals" or "cases"), in
        the language being spoken."""
        return self.address(f"/{kind}/{slug}")

    def telegram(self, name: str, /, **values: Any) -> list[str]:
        """Render ``telegram/<name>.html.j2`` into sendable messages."""
        return self.templates.telegram(name, **values)

    def broadcast(self, card: AppealCard, *, in_channel: bool = False) -> Message:
        """Render an appeal's broadcast as one Telegram message, with its buttons."""
        if not card.id:
            keyboard = None
        elif in_channel:
            keyboard = (
                channel_keyboard(card, self.bot_username).to_dict() if self.bot_username else None
            )
        else:
            keyboard = appeal_keyboard(card, with_cases=False).to_dict()
        extra = {"reply_markup": keyboard} if keyboard else {}
        values = {"appeal": card, "in_channel": in_channel}
        for limit in SUMMARY_STEPS:
            summary = _shorten(card.summary, limit, card.id)
            parts = self.telegram("broadcast", summary=summary, demands=card.demands[:8], **values)
            if len(parts) == 1:
                return Message(text=parts[0], html=parts[0], extra=extra)
        [text] = self.telegram("broadcast", summary="", demands=(), **values)
        return Message(text=text, html=text, extra=extra)

    def prepare_delivery(self) -> None:
        """Compile the templates delivery renders (before a broadcast needs them)."""
        for name in ("telegram/broadcast.html.j2", "email/appeal.txt.j2", "email/appeal.html.j2"):
            self.templates.env.get_template(name)

    def email(self, appeal: Appeal, age: Age) -> Message:
        """Render an appeal as an email: plain text and HTML, with a letter for each office."""
        card = appeal_card(appeal, age)
        pack = self.letters.pack(appeal, age)
        values = {"appeal": card, "pack": pack}
        prefix = _("Urgent appeal") if card.urgent else card.kind_label.capitalize()
        return Message(
            text=self.templates.render("email/appeal.txt.j2", **values),
            html=self.templates.render("email/appeal.html.j2", **values),
            subject=f"{prefix}: {card.title}"[:200],
        )

    def confirmation(self, token: str, language: str = "en") -> Message:
        """Render a sign-up's confirmation email, its link carrying ``token``."""
        values = {"confirm_url": f"{self.public_url}/email/confirm/{token}"}
        with speaking(language):
            return Message(
                text=self.templates.render("email/confirm.txt.j2", **values),
                html=self.templates.render("email/confirm.html.j2", **values),
                subject=_("Confirm: urgent appeals by email"),
                extra={"bulk": False},  # a message to one person: no list headers
            )

    def for_delivery(
        self,
        appeal: Appeal,
        renders: Renders,
        purpose: DeliveryPurpose,
        notice: str = "",
        late: bool = False,
        language: str = "en",
        mirror: bool = False,
    ) -> Message | None:
        """Render what delivery sends of an appeal, as a channel's rendering asks, in the
        reader's language (``mirror``: to a place everything is posted; None: nothing to
        send)."""
        with speaking(language):
            if renders is Renders.EVENT:
                # Machines get the appeal itself once; reminders are for people.
                if purpose in (DeliveryPurpose.APPEAL, DeliveryPurpose.WITHDRAW):
                    return self.event(appeal, withdrawn=purpose is DeliveryPurpose.WITHDRAW)
                return None
            if purpose is DeliveryPurpose.WITHDRAW:
                return None
            if purpose in (DeliveryPurpose.REMINDER, DeliveryPurpose.NUDGE):
                return self.notice(appeal, renders, purpose, notice, late=late)
            if renders is Renders.EMAIL:
                return self.email(appeal, self.ages.of(appeal))
            card = appeal_card(appeal, self.ages.of(appeal))
            telegram = self.broadcast(card, in_channel=mirror)
            return telegram if renders is Renders.TELEGRAM else as_text(telegram)

    def event(self, appeal: Appeal, *, withdrawn: bool = False) -> Message:
        """Render a published (or withdrawn) appeal as a webhook's JSON document."""
        document = event_document(
            appeal,
            self.ages.of(appeal).standing,
            withdrawn=withdrawn,
            url=self.page_url("appeals", appeal.slug),
            case_urls={case.slug: self.page_url("cases", case.slug) for case in appeal.cases},
        )
        text = json.dumps(document, ensure_ascii=False, sort_keys=True)
        return Message(text=text, extra={"event_id": document["id"]})

    def notice(
        self, appeal: Appeal, renders: Renders, purpose: DeliveryPurpose, notice: str, *, late: bool
    ) -> Message | None:
        """Render a court-date reminder (notice ``e<event id>:eve`` or ``:day``) or a nudge."""
        age = self.ages.of(appeal)
        card = appeal_card(appeal, age)
        values: dict[str, Any] = {"appeal": card, "late": late}
        name = "nudge"
        subject = f"{card.countdown or _('The deadline is near')}: {card.title}"
        if purpose is DeliveryPurpose.REMINDER:
            event_id, __, slot = notice.removeprefix("e").partition(":")
            event = next((e for e in appeal.events if str(e.id) == event_id), None)
            if event is None:
                return None  # the event was taken out of the appeal since
            when = _("Tomorrow") if slot == "eve" else _("Today")
            values |= {
                "slot": slot,
                "event_label": event_label(event.label, event.labels),
                "event_date": format_date(event.on_date),
            }
            name = "reminder"
            subject = f"{when}: {values['event_label']}"
        if renders is Renders.EMAIL:
            values["pack"] = self.letters.pack(appeal, age)
            return Message(
                text=self.templates.render(f"email/{name}.txt.j2", **values),
                html=self.templates.render(f"email/{name}.html.j2", **values),
                subject=subject[:200],
            )
        [text, *_more] = self.telegram(name, **values)
        keyboard = appeal_keyboard(card, with_cases=False).to_dict()
        telegram = Message(text=text, html=text, extra={"reply_markup": keyboard})
        return telegram if renders is Renders.TELEGRAM else as_text(telegram)

    def digest(
        self, appeals: Sequence[Appeal], since: date | None, language: str = "en"
    ) -> Message:
        """Render a daily digest of these appeals (``since``: the day of the last digest;
        None for the first)."""
        with speaking(language):
            subject, text, html = self._digest(appeals, since)
        return Message(text=text, html=html, subject=subject)

    def _digest(self, appeals: Sequence[Appeal], since: date | None) -> tuple[str, str, str]:
        items: list[dict[str, Any]] = []
        for appeal in appeals:
            age = self.ages.of(appeal)
            items.append(
                {"appeal": appeal_card(appeal, age), "pack": self.letters.pack(appeal, age)}
            )
        values = {"items": items, "since": format_date(since) if since else _("you signed up")}
        count = len(items)
        subject = ngettext(
            "Daily digest: %(count)d appeal", "Daily digest: %(count)d appeals", count
        ) % {"count": count}
        if appeals:
            subject += f": {appeals[0].title}"
        return (
            subject[:200],
            self.templates.render("email/digest.txt.j2", **values),
            self.templates.render("email/digest.html.j2", **values),
        )

    def draft_age(self, data: DraftData, kind: AppealKind) -> Age:
        """Return where a draft will stand once published today."""
        return self.ages.of_dates(
            issued_on=data.issued_on or self.ages.today(),
            precision=data.issued_precision if data.issued_on else DatePrecision.DAY,
            deadline=data.deadline,
            kind=kind,
            followed_up=None,
            resolved=False,
        )

    def draft_warnings(self, data: DraftData, age: Age) -> list[str]:
        """Return what an admin should see before publishing a draft: what it lacks, and
        how old it is."""
        warnings = data.warnings()
        if not age.is_open:
            note = age_note(age) or ""
            warnings.append(
                _("%(note)s It goes out marked as such, not as urgent.") % {"note": note}
            )
        return warnings

    def progress_start(self, title: str, language: str = "en") -> Message:
        """Render the progress message as it starts (the progress job edits it from then)."""
        with speaking(language):
            [text] = self.telegram("progress_start", title=title)
        return Message(text=text, html=text)

    def source_trouble(
        self, source_id: int, feed_url: str, error: str, language: str = "en"
    ) -> Message:
        """Render the word to admins that a followed source went wrong."""
        parts = urlsplit(feed_url)
        where = f"{parts.netloc}{parts.path}".rstrip("/")
        with speaking(language):
            [text] = self.telegram("source_trouble", id=source_id, where=where, error=error)
        return Message(text=text, html=text)

    def review(self, draft: DraftForReview, language: str = "en") -> Message | None:
        """Render a followed source's draft as an admin's review, with its buttons (None:
        it was taken or discarded)."""
        if draft.data is None:
            return None
        data = DraftData.model_validate(draft.data)
        kind = AppealKind.UPDATE if draft.case_name else AppealKind.APPEAL
        keyboard = source_draft_keyboard(draft.item_id, year_unknown=data.year_unknown)
        with speaking(language):
            values = {
                "data": data,
                "source": draft.source,
                "case_name": draft.case_name,
                "warnings": self.draft_warnings(data, self.draft_age(data, kind)),
            }
            parts = self.telegram("source_draft", brief=False, **values)
            if len(parts) > 1:
                parts = self.telegram("source_draft", brief=True, **values)
        return Message(text=parts[0], html=parts[0], extra={"reply_markup": keyboard.to_dict()})

    def letter_pack(
        self, appeal: Appeal, age: Age, *, focus: Case | None = None, language: str | None = None
    ) -> LetterPack:
        """Write a letter to every office of an appeal (about one of its cases, or all), in a
        language the offices read (``language``, when they can be written in it)."""
        return self.letters.pack(appeal, age, focus=focus, language=language)
