"""The channel interface: the engine hands a message to a channel and gets an outcome back.

Like a messenger in a mailing-list manager, the engine does not know whether it is
talking to Telegram or to an SMTP server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from storage.enums import Channel
from storage.repo.deliveries import Recipient


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # a temporary failure: try again later
    WAIT = "wait"  # told to slow down (429): try again after retry_after, no attempt used
    FAILED = "failed"  # will not work however often we try
    GONE = "gone"  # the subscriber blocked us or no longer exists
    MOVED = "moved"  # the chat has a new id: send there
    SKIP = "skip"  # the subscriber left before the message went out
    REFUSED = "refused"  # the recipient was refused for good: gone if it was refused before


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Outcome
    error: str | None = None
    retry_after: float | None = None
    new_chat_id: int | None = None
    message_id: int | None = None  # of the message sent, where the channel tells


@dataclass(frozen=True, slots=True)
class Message:
    """What one appeal looks like on one channel."""

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


class DeliveryChannel(Protocol):
    """Sends one message to one recipient and says how it went."""

    channel: Channel

    async def start(self) -> None:
        """Open connections."""

    async def close(self) -> None:
        """Close connections."""

    async def wait_turn(self, recipient: Recipient) -> Turn:
        """Wait until the channel's limits let a message to this recipient go; or, when this
        recipient itself must wait, say for how long (others go meanwhile)."""

    async def send(self, recipient: Recipient, message: Message) -> Result:
        """Send now (call ``wait_turn`` first)."""
