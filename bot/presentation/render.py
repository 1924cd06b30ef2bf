"""The presenter: templates with our labels, and the messages delivery sends."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from urllib.parse import urlencode, urlsplit

from bot.delivery.channels import Message
from bot.extract.draft import DraftData
from bot.presentation import urls
from bot.presentation.documents import event_document
from bot.presentation.keyboards import (
    appeal_keyboard,
    channel_keyboard,
    confirm_broadcast_keyboard,
    source_draft_keyboard,
)
from bot.presentation.labels import FILTERS, age_note, format_date
from bot.presentation.letters import LetterPack, LetterWriter
from bot.presentation.news import (
    AdminNews,
    AppealNews,
    ConfirmNews,
    DigestEntry,
    DigestNews,
    ProgressNews,
    ReviewNews,
    TroubleNews,
    event_notice,
)
from bot.presentation.views import AppealCard, appeal_card
from storage.enums import AppealKind, DatePrecision
from storage.items import AboutAppeal, Publication, Reminder, Withdrawal
from storage.records import AppealRecord, CaseRecord
from storage.repo.sources import DraftForReview
from storage.standing import Age, AgePolicy
from templates import Templates
from templates.i18n import _, current, ngettext

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
        return self.address(urls.page(kind, slug))

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

    def prepare(self) -> None:
        """Compile the templates broadcasts render (before a broadcast needs them)."""
        for name in ("telegram/broadcast.html.j2", "email/appeal.txt.j2", "email/appeal.html.j2"):
            self.templates.env.get_template(name)

    # ---- what a delivery says: an item resolved into a view -----------------------------

    def news(self, appeal: AppealRecord, item: AboutAppeal) -> AppealNews | None:
        """Resolve an item about an appeal into what is said of it, in the language being
        spoken (None: nothing to say, as of a court date taken out of the appeal since)."""
        age = self.ages.of(appeal)
        event = None
        if isinstance(item, Reminder):
            event = event_notice(appeal.events, item)
            if event is None:
                return None
        url = self.page_url("appeals", appeal.slug)
        return AppealNews(
            item=item,
            card=appeal_card(appeal, age),
            letters=self.letters.pack(appeal, age),
            document=event_document(
                appeal,
                age.standing,
                withdrawn=isinstance(item, Withdrawal),
                url=url,
                case_urls={case.slug: self.page_url("cases", case.slug) for case in appeal.cases},
            ),
            url=url,
            event=event,
            late=getattr(item, "late", False),
        )

    def digest_news(self, appeals: Sequence[AppealRecord], since: date | None) -> DigestNews:
        """Resolve a daily digest of these appeals (``since``: the last one's day)."""
        entries = []
        for appeal in appeals:
            age = self.ages.of(appeal)
            entries.append(DigestEntry(appeal_card(appeal, age), self.letters.pack(appeal, age)))
        return DigestNews(tuple(entries), since)

    def confirm_news(self, token: str) -> ConfirmNews:
        """Resolve a sign-up's confirmation, its link carrying ``token``."""
        return ConfirmNews(urls.absolute(self.public_url, urls.email_confirm(token)))

    def review_news(self, draft: DraftForReview) -> ReviewNews | None:
        """Resolve a followed source's draft for an admin (None: taken or discarded)."""
        if draft.data is None:
            return None
        data = DraftData.model_validate(draft.data)
        kind = AppealKind.UPDATE if draft.case_name else AppealKind.APPEAL
        warnings = self.draft_warnings(data, self.draft_age(data, kind))
        return ReviewNews(draft.item_id, data, draft.source, draft.case_name, tuple(warnings))

    @staticmethod
    def progress_news(title: str) -> ProgressNews:
        """Resolve the start of an admin's progress message."""
        return ProgressNews(title)

    @staticmethod
    def trouble_news(source_id: int, feed_url: str, error: str) -> TroubleNews:
        """Resolve the word to admins that a followed source went wrong."""
        parts = urlsplit(feed_url)
        return TroubleNews(source_id, f"{parts.netloc}{parts.path}".rstrip("/"), error)

    # ---- how each format words it (channels choose) ---------------------------------------

    def telegram_news(self, news: AppealNews, *, in_channel: bool = False) -> Message | None:
        """Render an appeal (a reminder, a nudge) as one Telegram message with its buttons
        (None for a withdrawal: a chat keeps what it got, the bot no longer offers it)."""
        if news.withdrawn:
            return None
        if isinstance(news.item, Publication):
            return self.broadcast(news.card, in_channel=in_channel)
        name, values = self._notice_values(news)
        [text, *_more] = self.telegram(name, **values)
        keyboard = appeal_keyboard(news.card, with_cases=False).to_dict()
        return Message(text=text, html=text, extra={"reply_markup": keyboard})

    def email_news(self, news: AppealNews) -> Message | None:
        """Render an appeal (a reminder, a nudge) as an email with a letter to each office."""
        if news.withdrawn:
            return None
        card = news.card
        values: dict[str, Any]
        if isinstance(news.item, Publication):
            name, values = "appeal", {"appeal": card}
            prefix = _("Urgent appeal") if card.urgent else card.kind_label.capitalize()
            subject = f"{prefix}: {card.title}"
        else:
            name, values = self._notice_values(news)
            subject = values.pop("subject")
        values["pack"] = news.letters
        return Message(
            text=self.templates.render(f"email/{name}.txt.j2", **values),
            html=self.templates.render(f"email/{name}.html.j2", **values),
            subject=subject[:200],
        )

    def _notice_values(self, news: AppealNews) -> tuple[str, dict[str, Any]]:
        card = news.card
        values: dict[str, Any] = {"appeal": card, "late": news.late}
        if news.event is None:
            values["subject"] = f"{card.countdown or _('The deadline is near')}: {card.title}"
            return "nudge", values
        when = _("Tomorrow") if news.event.slot == "eve" else _("Today")
        values |= {
            "slot": news.event.slot,
            "event_label": news.event.label,
            "event_date": news.event.date,
            "subject": f"{when}: {news.event.label}",
        }
        return "reminder", values

    @staticmethod
    def document_news(news: AppealNews) -> Message:
        """Render an appeal (or its withdrawal) as one JSON document for machines."""
        text = json.dumps(news.document, ensure_ascii=False, sort_keys=True)
        return Message(text=text, extra={"event_id": news.document["id"]})

    def email_digest(self, news: DigestNews) -> Message:
        """Render a daily digest as an email."""
        items = [{"appeal": entry.card, "pack": entry.letters} for entry in news.entries]
        since = format_date(news.since) if news.since else _("you signed up")
        values = {"items": items, "since": since}
        count = len(items)
        subject = ngettext(
            "Daily digest: %(count)d appeal", "Daily digest: %(count)d appeals", count
        ) % {"count": count}
        if news.entries:
            subject += f": {news.entries[0].card.title}"
        return Message(
            text=self.templates.render("email/digest.txt.j2", **values),
            html=self.templates.render("email/digest.html.j2", **values),
            subject=subject[:200],
        )

    def email_confirmation(self, news: ConfirmNews) -> Message:
        """Render a sign-up's confirmation email."""
        values = {"confirm_url": news.url}
        return Message(
            text=self.templates.render("email/confirm.txt.j2", **values),
            html=self.templates.render("email/confirm.html.j2", **values),
            subject=_("Confirm: urgent appeals by email"),
            extra={"bulk": False},  # a message to one person: no list headers
        )

    def telegram_admin(self, news: ReviewNews | ProgressNews | TroubleNews | AdminNews) -> Message:
        """Render a message to an admin: a draft to review (with its buttons), the start of
        a progress message, a source's trouble, what another admin did."""
        if isinstance(news, AdminNews):
            [text] = self.telegram("admin_notice", news=news)
            extra = {}
            if news.kind == "confirm":
                extra["reply_markup"] = confirm_broadcast_keyboard(news.subject).to_dict()
            return Message(text=text, html=text, extra=extra)
        if isinstance(news, ProgressNews):
            [text] = self.telegram("progress_start", title=news.title)
            return Message(text=text, html=text)
        if isinstance(news, TroubleNews):
            [text] = self.telegram(
                "source_trouble", id=news.source_id, where=news.where, error=news.error
            )
            return Message(text=text, html=text)
        values = {
            "data": news.data,
            "source": news.source,
            "case_name": news.case_name,
            "warnings": list(news.warnings),
        }
        parts = self.telegram("source_draft", brief=False, **values)
        if len(parts) > 1:
            parts = self.telegram("source_draft", brief=True, **values)
        keyboard = source_draft_keyboard(news.item_id, year_unknown=news.data.year_unknown)
        return Message(text=parts[0], html=parts[0], extra={"reply_markup": keyboard.to_dict()})

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

    def letter_pack(
        self,
        appeal: AppealRecord,
        age: Age,
        *,
        focus: CaseRecord | None = None,
        language: str | None = None,
    ) -> LetterPack:
        """Write a letter to every office of an appeal (about one of its cases, or all), in a
        language the offices read (``language``, when they can be written in it)."""
        return self.letters.pack(appeal, age, focus=focus, language=language)
