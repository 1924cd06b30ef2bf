"""What a delivery is about: one small frozen type per kind, stored through one codec.

A delivery row keeps its item in three columns: the purpose (which kind), the appeal (for
the kinds about one appeal) and ``notice``, the item's own fields in the one form written and
read here (part of the row's unique key, so a reminder or a review is never queued twice).
Nothing else reads or writes ``notice``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Literal

from storage.enums import DeliveryPurpose

Slot = Literal["eve", "day"]  # a reminder the day before a court date, or on the day
SLOTS: tuple[Slot, ...] = ("eve", "day")


@dataclass(frozen=True, slots=True)
class Publication:
    """An appeal, an update or an outcome, to everyone it goes to."""

    purpose: ClassVar[DeliveryPurpose] = DeliveryPurpose.APPEAL
    appeal_id: int


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """An appeal taken back, told to those of the channels that withdraw what they got."""

    purpose: ClassVar[DeliveryPurpose] = DeliveryPurpose.WITHDRAW
    appeal_id: int


@dataclass(frozen=True, slots=True)
class Reminder:
    """A court date is tomorrow (``eve``) or today (``day``)."""

    purpose: ClassVar[DeliveryPurpose] = DeliveryPurpose.REMINDER
    appeal_id: int
    event_id: int
    slot: Slot
    late: bool = False  # queued after its time (the bot was down): it says so


@dataclass(frozen=True, slots=True)
class Nudge:
    """An appeal's deadline is near and its reader has not acted."""

    purpose: ClassVar[DeliveryPurpose] = DeliveryPurpose.NUDGE
    appeal_id: int
    late: bool = False


@dataclass(frozen=True, slots=True)
class Digest:
    """A reader's daily digest of the rows held for it (``since``: its last digest's day)."""

    purpose: ClassVar[DeliveryPurpose] = DeliveryPurpose.DIGEST
    since: date | None = None


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A sign-up's confirmation link."""

    purpose: ClassVar[DeliveryPurpose] = DeliveryPurpose.CONFIRM


@dataclass(frozen=True, slots=True)
class Review:
    """A followed source's draft (its source item) for an admin to review."""

    purpose: ClassVar[DeliveryPurpose] = DeliveryPurpose.REVIEW
    item_id: int


@dataclass(frozen=True, slots=True)
class ProgressMessage:
    """The message an admin follows a broadcast in (then edited in place)."""

    purpose: ClassVar[DeliveryPurpose] = DeliveryPurpose.PROGRESS
    broadcast_id: int


@dataclass(frozen=True, slots=True)
class SourceTrouble:
    """A followed source went wrong (a malformed feed): told to the admins once."""

    purpose: ClassVar[DeliveryPurpose] = DeliveryPurpose.SOURCE
    source_id: int


AdminNoticeKind = Literal["confirm", "confirmed", "added", "removed"]


@dataclass(frozen=True, slots=True)
class AdminNotice:
    """Admins told of each other's acts: a large broadcast waiting for a second admin
    (``confirm``: its broadcast), the one who started it told who confirmed it
    (``confirmed``), an admin added or removed (its user id). ``actor``: who did it."""

    purpose: ClassVar[DeliveryPurpose] = DeliveryPurpose.ADMINS
    kind: AdminNoticeKind
    subject: int
    actor: int


_ADMIN_KINDS: tuple[AdminNoticeKind, ...] = ("confirm", "confirmed", "added", "removed")

Item = (
    Publication
    | Withdrawal
    | Reminder
    | Nudge
    | Digest
    | Confirmation
    | Review
    | ProgressMessage
    | SourceTrouble
    | AdminNotice
)
AboutAppeal = Publication | Withdrawal | Reminder | Nudge


@dataclass(frozen=True, slots=True)
class Stored:
    """An item as its row holds it."""

    purpose: DeliveryPurpose
    appeal_id: int | None
    notice: str
    late: bool = False


_DIGEST = "since:"


def store(item: Item) -> Stored:
    """Return the columns that hold an item."""
    match item:
        case Publication(appeal_id) | Withdrawal(appeal_id):
            return Stored(item.purpose, appeal_id, "")
        case Reminder(appeal_id, event_id, slot, late):
            return Stored(item.purpose, appeal_id, f"e{event_id}:{slot}", late)
        case Nudge(appeal_id, late):
            return Stored(item.purpose, appeal_id, "deadline", late)
        case Digest(since):
            return Stored(item.purpose, None, _DIGEST + (since.isoformat() if since else ""))
        case Confirmation():
            return Stored(item.purpose, None, "")
        case Review(number) | ProgressMessage(number) | SourceTrouble(number):
            return Stored(item.purpose, None, str(number))
        case AdminNotice(kind, subject, actor):
            return Stored(item.purpose, None, f"{kind}:{subject}:{actor}")


def load(purpose: DeliveryPurpose, appeal_id: int | None, notice: str, late: bool) -> Item | None:
    """Return the item a row holds (None: a row this version cannot read; it is skipped)."""
    try:
        return _load(purpose, appeal_id, notice, late)
    except ValueError:
        return None


def _load(purpose: DeliveryPurpose, appeal_id: int | None, notice: str, late: bool) -> Item | None:
    if purpose is DeliveryPurpose.DIGEST:
        since = notice.removeprefix(_DIGEST)
        return Digest(date.fromisoformat(since) if since else None)
    if purpose is DeliveryPurpose.CONFIRM:
        return Confirmation()
    if purpose is DeliveryPurpose.REVIEW:
        return Review(int(notice))
    if purpose is DeliveryPurpose.PROGRESS:
        return ProgressMessage(int(notice))
    if purpose is DeliveryPurpose.SOURCE:
        return SourceTrouble(int(notice))
    if purpose is DeliveryPurpose.ADMINS:
        kind, subject, actor = notice.split(":")
        known = next((k for k in _ADMIN_KINDS if k == kind), None)
        return None if known is None else AdminNotice(known, int(subject), int(actor))
    if appeal_id is None:
        return None
    if purpose is DeliveryPurpose.APPEAL:
        return Publication(appeal_id)
    if purpose is DeliveryPurpose.WITHDRAW:
        return Withdrawal(appeal_id)
    if purpose is DeliveryPurpose.NUDGE:
        return Nudge(appeal_id, late)
    event, colon, slot = notice.removeprefix("e").partition(":")
    if purpose is DeliveryPurpose.REMINDER and colon and slot in ("eve", "day"):
        return Reminder(appeal_id, int(event), "eve" if slot == "eve" else "day", late)
    return None
