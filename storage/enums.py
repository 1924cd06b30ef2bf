"""The states and kinds the data model knows."""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    OPEN = "open"
    RELEASED = "released"
    CHARGES_DROPPED = "charges_dropped"
    ACQUITTED = "acquitted"
    FINED = "fined"
    SENTENCED = "sentenced"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        """Tell whether the case still needs action."""
        return self is CaseStatus.OPEN


class Urgency(StrEnum):
    URGENT = "urgent"
    NORMAL = "normal"


class AppealKind(StrEnum):
    APPEAL = "appeal"
    UPDATE = "update"
    OUTCOME = "outcome"


class AppealStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class DatePrecision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class EventKind(StrEnum):
    """What happened on an appeal's dated event (it shapes reminders and the case timeline)."""

    ARREST = "arrest"
    ATTACK = "attack"
    CHARGE = "charge"
    HEARING = "hearing"
    TRIAL = "trial"
    VERDICT = "verdict"
    RELEASE = "release"
    PROTEST = "protest"
    OUTCOME = "outcome"
    OTHER = "other"


class TargetKind(StrEnum):
    PROTEST = "protest"
    COPY_TO = "copy_to"
    EMBASSY = "embassy"


class SubscriberState(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    BLOCKED = "blocked"
    BOUNCED = "bounced"
    LOST = "lost"  # its address was sealed with a key that has been destroyed


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    HELD = "held"  # waiting for its reader's daily digest
    AWAITING = "awaiting"  # a large broadcast's, until a second admin confirms it


class DeliveryPurpose(StrEnum):
    APPEAL = "appeal"  # the appeal itself (an update, an outcome), to a subscriber or mirror
    REMINDER = "reminder"  # a court date is tomorrow, or today
    NUDGE = "nudge"  # the deadline is near and the reader has not acted
    DIGEST = "digest"  # a reader's daily digest of the rows held for it
    CONFIRM = "confirm"  # a sign-up's confirmation link
    REVIEW = "review"  # a draft for an admin to review
    PROGRESS = "progress"  # the message an admin follows a broadcast in (then edited in place)
    WITHDRAW = "withdraw"  # an appeal taken back: told to the machines that got it (webhooks)
    SOURCE = "source"  # a followed source went wrong (a malformed feed): told to the admins once
    ADMINS = "admins"  # admins told of each other: a broadcast to confirm, a new admin


class SourceState(StrEnum):
    """Whether a publisher's feed is followed."""

    ACTIVE = "active"
    PAUSED = "paused"  # an admin paused it
    GONE = "gone"  # the feed answered 404 or 410: no longer polled


class ItemOutcome(StrEnum):
    """What became of one item of a followed feed."""

    DRAFT = "draft"  # a draft appeal, waiting for an admin to review it
    TAKEN = "taken"  # an admin took the draft into their review (published from there, or not)
    DISCARDED = "discarded"  # an admin threw the draft away
    SKIPPED = "skipped"  # not an appeal (news, a report, a donation call), or unreadable
    DUPLICATE = "duplicate"  # an appeal already drafted from this or another source
