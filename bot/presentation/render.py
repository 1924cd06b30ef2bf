"""The presenter: templates with our labels, and the messages delivery sends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.delivery.channels import Message
from bot.presentation.keyboards import appeal_keyboard, channel_keyboard
from bot.presentation.labels import FILTERS, format_phone
from bot.presentation.views import AppealCard, appeal_card
from storage.enums import Channel, DeliveryPurpose, TargetKind
from storage.models import Appeal, AppealTarget
from templates import Templates

SUMMARY_STEPS = (None, 2500, 1500, 800, 300)


@dataclass(frozen=True, slots=True)
class Letter:
    text: str
    recipients: list[str]
    copies: list[str]


def _shorten(text: str, limit: int | None, appeal_id: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return f"{cut}… (the whole text: /appeal_{appeal_id})"


def _recipient_line(link: AppealTarget) -> str:
    target = link.target
    ways = [*target.emails]
    ways += [f"fax {format_phone(fax)}" for fax in target.faxes]
    if not ways and target.phones:
        ways += [f"phone {format_phone(phone)}" for phone in target.phones]
    if not ways and target.postal_address:
        ways.append(target.postal_address)
    return f"{target.name}: {', '.join(ways)}" if ways else target.name


def _subject(appeal: Appeal, focus: str | None) -> str:
    if focus:
        return f"the case of {focus}"
    names = [case.name for case in appeal.cases]
    if not names:
        return appeal.title
    if len(names) == 1:
        return f"the case of {names[0]}"
    return "the cases of " + ", ".join(names[:-1]) + " and " + names[-1]


class Presenter:
    """Render what people read: Telegram replies, broadcasts, letters."""

    def __init__(self, templates: Templates | None = None) -> None:
        self.templates = templates or Templates(filters=FILTERS)
        self.bot_username: str | None = None  # known once the bot has said who it is

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
        for name in ("broadcast", "thanks"):
            self.templates.env.get_template(f"telegram/{name}.html.j2")

    def for_delivery(self, appeal: Appeal, channel: Channel, purpose: DeliveryPurpose) -> Message:
        """Render what delivery sends for an appeal on a channel."""
        if channel is not Channel.TELEGRAM:
            raise ValueError(f"no renderer for channel {channel}")
        card = appeal_card(appeal)
        if purpose is DeliveryPurpose.THANKS:
            [text] = self.telegram("thanks", appeal=card)
            return Message(text=text, html=text)
        return self.broadcast(card, in_channel=purpose is DeliveryPurpose.CHANNEL)

    def letter(self, appeal: Appeal, *, focus: str | None = None) -> Letter:
        """Write the model letter for an appeal (about one of its cases), and where to send it."""
        protest = [link for link in appeal.targets if link.kind is TargetKind.PROTEST]
        embassy = [link for link in appeal.targets if link.kind is TargetKind.EMBASSY]
        copy_to = [link for link in appeal.targets if link.kind is TargetKind.COPY_TO]
        first = protest[0].target if protest else None
        salutation = (first.salutation if first else None) or "Dear Sir or Madam,"
        text = self.templates.letter(
            "protest",
            language=appeal.language,
            appeal=appeal_card(appeal),
            salutation=salutation,
            subject=_subject(appeal, focus),
        )
        recipients = [_recipient_line(link) for link in protest]
        recipients += [link.note or link.target.notes or link.target.name for link in embassy]
        copies = [email for link in copy_to for email in link.target.emails]
        return Letter(text=text, recipients=recipients, copies=copies)
