"""What the engine sees of a channel: it hands a message to a courier, gets an outcome back.

Like a messenger in a mailing-list manager, the engine does not know whether it is talking
to Telegram, an SMTP server, a Matrix homeserver or a webhook: a courier has a name (what
subscribers and deliveries are stored under), what it can do, and four methods.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from storage.enums import SubscriberState
from storage.repo.deliveries import Recipient


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # a temporary failure: try again later
    WAIT = "wait"  # told to slow down (429), or the other side is away: no attempt used
    FAILED = "failed"  # will not work however often we try
    GONE = "gone"  # the subscriber blocked us or no longer exists
    MOVED = "moved"  # the address changed (a group became a supergroup): send there
    SKIP = "skip"  # the subscriber left before the message went out
    REFUSED = "refused"  # the recipient was refused for good: gone if it was refused before


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    error: str | None = None
    retry_after: float | None = None
    new_address: str | None = None  # where the recipient is now (MOVED)
    new_kind: str | None = None
    external_id: str | None = None  # what the channel called the message it sent


@dataclass(frozen=True, slots=True)
class Message:
    """What one message looks like, for any channel: its text, its HTML, a subject where
    the channel has one, and what only one channel reads (``extra``: Telegram's buttons,
    email's list headers)."""

    text: str
    html: str | None = None
    subject: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _nothing() -> None:
    """Nothing to give back."""


@dataclass(frozen=True, slots=True)
class Turn:
    """A message's turn on a channel: ``busy`` > 0 if its recipient must wait that long
    (no turn taken); else ``release`` once the message was answered or dropped."""

    busy: float = 0.0
    release: Callable[[], None] = _nothing


class Can(StrEnum):
    """What a channel can do besides sending, as it declares it."""

    EDIT = "edit"  # edit a message it sent (an admin's progress message, as figures move)
    THREAD = "thread"  # post a follow-up as an answer to the post it follows up
    REACH_ADMINS = "reach_admins"  # reach the admins: drafts to review, progress, troubles
    COUNT_PROTESTS = "count_protests"  # its readers tell the bot they wrote (a nudge spares them)


@dataclass(frozen=True, slots=True)
class Pace:
    """How fast a channel may send (messages a second) and how many sends it takes at once
    (an SMTP pool's connections): the engine gives each channel a lane of that size, so
    that no channel's backlog or hung server stands in front of another's."""

    rate: float
    concurrency: int


@dataclass(frozen=True, slots=True)
class Mirror:
    """A place a channel posts everything published to, as its channel names it."""

    address: str
    kind: str | None = None


class Courier(Protocol):
    """Sends one message to one recipient and says how it went: what the engine sees of a
    channel (the channel itself, in ``bot/channels``, also renders what it sends)."""

    name: str  # what its subscribers and deliveries are stored under
    can: frozenset[Can]
    # A budget that belongs to the bot, not to a process (Telegram's): one worker at a
    # time holds this role and sends on the channel. None: every worker sends.
    role: str | None
    gone: SubscriberState  # what a subscriber becomes when the channel says it is gone
    pace: Pace

    async def mirrors(self) -> Sequence[Mirror] | None:
        """Return the mirrors configured for this channel (none: only subscribers; None:
        they cannot be known now, so leave them as they are)."""

    async def start(self) -> None:
        """Open connections."""

    async def close(self) -> None:
        """Close connections."""

    async def wait_turn(self, recipient: Recipient) -> Turn:
        """Wait until the channel's limits let a message to this recipient go; or, when this
        recipient itself must wait, say for how long (others go meanwhile)."""

    async def send(self, recipient: Recipient, message: Message) -> SendResult:
        """Send now (call ``wait_turn`` first)."""
