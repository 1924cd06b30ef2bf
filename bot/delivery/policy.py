"""What a send's outcome does to its delivery row and its subscriber: one pure function.

When a row is tried again is a wait in seconds, counted from the database's time when the
outcome is written (workers' clocks may disagree; the database's is the shared one).

outcome   delivery row                                   attempts     subscriber
SENT      sent, sent_at = now                            kept         -
WAIT      pending, again after retry_after               given back   -
RETRY     pending, again after backoff (2 s, 4 s, ...)   kept         -
          failed, once attempts reach the maximum
FAILED    failed                                         kept         -
GONE      skipped                                        kept         gone (blocked)
SKIP      skipped                                        kept         -
REFUSED   pending, again after backoff (the first time)  kept         -
          skipped, from the second attempt on            kept         gone (bounced)
MOVED     pending, again now (at the new address)        given back   moves to new_address
          failed, when there is no subscriber to move
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.delivery.channels import Outcome, SendResult
from core.timing import bounded_wait
from storage.enums import DeliveryState


class SubscriberChange(StrEnum):
    NONE = "none"
    GONE = "gone"  # blocked the bot, deactivated, kicked it out: send nothing more
    MOVED = "moved"  # its address changed (a group became a supergroup with a new id)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently temporary failures are retried."""

    max_attempts: int = 8
    backoff_first: float = 2.0  # the pause after the first attempt; it doubles after each
    backoff_cap: float = 300.0

    def backoff(self, attempts: int) -> float:
        """Return the pause after the given number of attempts, before jitter."""
        doublings = min(max(attempts, 1) - 1, 30)
        return float(min(self.backoff_cap, self.backoff_first * 2**doublings))


@dataclass(frozen=True, slots=True)
class Decision:
    """A delivery's new state, when it is tried next, and what happens to its subscriber."""

    state: DeliveryState
    attempts: int
    error: str | None
    retry_in: float | None = None  # seconds from the database's now
    sent_at: datetime | None = None
    subscriber: SubscriberChange = SubscriberChange.NONE
    new_address: str | None = None
    new_kind: str | None = None

    def row(self, delivery_id: int) -> dict[str, Any]:
        """Return the change to write to the delivery row (lease released)."""
        change: dict[str, Any] = {
            "id": delivery_id,
            "state": self.state,
            "attempts": self.attempts,
            "last_error": self.error,
            "lease_until": None,
            "claimed_by": None,
        }
        if self.retry_in is not None:
            change["retry_in"] = self.retry_in
        if self.sent_at is not None:
            change["sent_at"] = self.sent_at
        return change


def decide(
    result: SendResult,
    *,
    attempts: int,
    has_subscriber: bool,
    now: datetime,
    policy: RetryPolicy,
    jitter: float = 1.0,
) -> Decision:
    """Decide what a send's result means for its delivery (``attempts`` counts this one)."""
    outcome, error = result.outcome, result.error
    if outcome is Outcome.SENT:
        return Decision(DeliveryState.SENT, attempts, None, sent_at=now)
    if outcome is Outcome.WAIT:
        wait = bounded_wait(result.retry_after)
        return Decision(DeliveryState.PENDING, attempts - 1, error, retry_in=wait)
    if outcome is Outcome.RETRY and attempts < policy.max_attempts:
        wait = bounded_wait(policy.backoff(attempts) * jitter)
        return Decision(DeliveryState.PENDING, attempts, error, retry_in=wait)
    if outcome is Outcome.REFUSED and attempts < 2:
        wait = bounded_wait(policy.backoff(attempts) * jitter)
        return Decision(DeliveryState.PENDING, attempts, error, retry_in=wait)
    if outcome in (Outcome.GONE, Outcome.REFUSED):
        gone = SubscriberChange.GONE if has_subscriber else SubscriberChange.NONE
        return Decision(DeliveryState.SKIPPED, attempts, error, subscriber=gone)
    if outcome is Outcome.SKIP:
        return Decision(DeliveryState.SKIPPED, attempts, error)
    if outcome is Outcome.MOVED and result.new_address is not None and has_subscriber:
        return Decision(
            DeliveryState.PENDING,
            attempts - 1,
            error,
            retry_in=0.0,
            subscriber=SubscriberChange.MOVED,
            new_address=result.new_address,
            new_kind=result.new_kind,
        )
    return Decision(DeliveryState.FAILED, attempts, error)
