"""The delivery outcome policy, row by row: outcome, attempts -> state, retry, subscriber."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.delivery.channels import Outcome, SendResult
from bot.delivery.policy import Decision, RetryPolicy, SubscriberChange, decide
from storage.enums import DeliveryState

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=8, backoff_first=2.0, backoff_cap=300.0)
PENDING, SENT, FAILED, SKIPPED = (
    DeliveryState.PENDING,
    DeliveryState.SENT,
    DeliveryState.FAILED,
    DeliveryState.SKIPPED,
)
KEEP, GONE, MOVE = SubscriberChange.NONE, SubscriberChange.GONE, SubscriberChange.MOVED


def after(seconds: float) -> float:
    return float(seconds)


def run(result: SendResult, attempts: int, *, subscriber: bool = True, **extra: float) -> Decision:
    return decide(
        result, attempts=attempts, has_subscriber=subscriber, now=NOW, policy=POLICY, **extra
    )


# (result, attempts this one included, has a subscriber)
#     -> (state, attempts kept, next attempt, subscriber change, new address)
ROWS = [
    ((SendResult(Outcome.SENT), 1, True), (SENT, 1, None, KEEP, None)),
    ((SendResult(Outcome.WAIT, "429", retry_after=7), 3, True), (PENDING, 2, after(7), KEEP, None)),
    ((SendResult(Outcome.WAIT, "busy"), 1, True), (PENDING, 0, after(1), KEEP, None)),
    ((SendResult(Outcome.RETRY, "502"), 1, True), (PENDING, 1, after(2), KEEP, None)),
    ((SendResult(Outcome.RETRY, "502"), 4, True), (PENDING, 4, after(16), KEEP, None)),
    ((SendResult(Outcome.RETRY, "502"), 7, False), (PENDING, 7, after(128), KEEP, None)),
    ((SendResult(Outcome.RETRY, "502"), 8, True), (FAILED, 8, None, KEEP, None)),
    ((SendResult(Outcome.FAILED, "too long"), 1, True), (FAILED, 1, None, KEEP, None)),
    ((SendResult(Outcome.GONE, "403"), 1, True), (SKIPPED, 1, None, GONE, None)),
    ((SendResult(Outcome.GONE, "403"), 1, False), (SKIPPED, 1, None, KEEP, None)),
    ((SendResult(Outcome.SKIP, "left"), 2, True), (SKIPPED, 2, None, KEEP, None)),
    ((SendResult(Outcome.REFUSED, "SMTP 554"), 1, True), (PENDING, 1, after(2), KEEP, None)),
    ((SendResult(Outcome.REFUSED, "SMTP 554"), 2, True), (SKIPPED, 2, None, GONE, None)),
    (
        (SendResult(Outcome.MOVED, "up", new_address="-1005"), 1, True),
        (PENDING, 0, after(0), MOVE, "-1005"),
    ),
    (
        (SendResult(Outcome.MOVED, "up", new_address="-1005"), 1, False),
        (FAILED, 1, None, KEEP, None),
    ),
    ((SendResult(Outcome.MOVED, "no id"), 1, True), (FAILED, 1, None, KEEP, None)),
]


@pytest.mark.parametrize(("given", "expected"), ROWS)
def test_every_outcome_row(
    given: tuple[SendResult, int, bool],
    expected: tuple[DeliveryState, int, float | None, SubscriberChange, str | None],
) -> None:
    result, attempts, subscriber = given
    decision = run(result, attempts, subscriber=subscriber)
    got = (
        decision.state,
        decision.attempts,
        decision.retry_in,
        decision.subscriber,
        decision.new_address,
    )
    assert got == expected
    assert decision.error == result.error


def test_backoff_is_capped_and_jittered() -> None:
    patient = RetryPolicy(max_attempts=20, backoff_cap=60)
    late = decide(
        SendResult(Outcome.RETRY), attempts=7, has_subscriber=True, now=NOW, policy=patient
    )
    assert late.retry_in == after(60)
    assert run(SendResult(Outcome.RETRY), 2, jitter=1.2).retry_in == after(4 * 1.2)


def test_a_decision_becomes_a_row_change_that_releases_the_lease() -> None:
    assert run(SendResult(Outcome.SENT), 1).row(42) == {
        "id": 42,
        "state": SENT,
        "attempts": 1,
        "last_error": None,
        "lease_until": None,
        "claimed_by": None,
        "sent_at": NOW,
    }
    retry = run(SendResult(Outcome.RETRY, "x"), 1).row(7)
    assert retry["retry_in"] == after(2)
    assert "sent_at" not in retry
