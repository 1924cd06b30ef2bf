"""What a delivery says, as plain values: each item of the outbox resolved into a view that
every channel renders in its own format (Telegram's HTML, an email, a JSON document, …)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.extract.draft import DraftData
from bot.presentation.labels import format_date
from bot.presentation.letters import LetterPack
from bot.presentation.localized import event_label
from bot.presentation.views import AppealCard
from storage.items import AboutAppeal, Reminder, Slot, Withdrawal


@dataclass(frozen=True, slots=True)
class EventNotice:
    """The court date a reminder is about."""

    slot: Slot  # "eve": it is tomorrow; "day": it is today
    label: str
    date: str


@dataclass(frozen=True, slots=True)
class AppealNews:
    """An appeal, an update or an outcome (or a reminder, a nudge, a withdrawal of one)."""

    item: AboutAppeal
    card: AppealCard
    letters: LetterPack
    document: Mapping[str, Any]  # the appeal as a JSON document, for machines
    url: str  # its public page
    event: EventNotice | None = None  # a reminder's court date
    late: bool = False  # queued after its time: it says so

    @property
    def withdrawn(self) -> bool:
        """Tell whether this says the appeal was taken back."""
        return isinstance(self.item, Withdrawal)


@dataclass(frozen=True, slots=True)
class DigestEntry:
    """One appeal of a digest."""

    card: AppealCard
    letters: LetterPack


@dataclass(frozen=True, slots=True)
class DigestNews:
    """A reader's daily digest."""

    entries: Sequence[DigestEntry]
    since: date | None  # the day of the last one (None: the first)


@dataclass(frozen=True, slots=True)
class ConfirmNews:
    """A sign-up's confirmation: the link that confirms it."""

    url: str


@dataclass(frozen=True, slots=True)
class ReviewNews:
    """A followed source's draft, for an admin to review."""

    item_id: int
    data: DraftData
    source: str
    case_name: str | None
    warnings: Sequence[str]


@dataclass(frozen=True, slots=True)
class ProgressNews:
    """The first of an admin's progress message (edited as the broadcast goes on)."""

    title: str


@dataclass(frozen=True, slots=True)
class TroubleNews:
    """A followed source went wrong."""

    source_id: int
    where: str  # host and path of its feed
    error: str


@dataclass(frozen=True, slots=True)
class AdminNews:
    """Admins told of each other's acts: a broadcast to confirm (or confirmed), an admin
    added or removed. ``actor``: the admin who did it; ``subject``: the broadcast or user."""

    kind: str
    actor: int
    subject: int
    appeal_id: int | None = None
    title: str | None = None
    readers: int = 0


View = AppealNews | DigestNews | ConfirmNews | ReviewNews | ProgressNews | TroubleNews | AdminNews


def event_notice(appeal_events: Sequence[Any], item: Reminder) -> EventNotice | None:
    """Return the court date a reminder is about (None: taken out of the appeal since)."""
    event = next((e for e in appeal_events if e.id == item.event_id), None)
    if event is None:
        return None
    return EventNotice(
        item.slot, event_label(event.label, event.labels), format_date(event.on_date)
    )
