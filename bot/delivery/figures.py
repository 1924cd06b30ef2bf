"""Broadcast progress: counts from the outbox, a rate over the last seconds, time left."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from storage.database import Database
from storage.enums import DeliveryState
from storage.repo.deliveries import state_counts

RATE_WINDOW = 15.0


@dataclass(frozen=True, slots=True)
class Progress:
    appeal_id: int
    total: int
    sent: int
    failed: int
    gone: int
    left: int
    rate: float
    elapsed: float

    @property
    def done(self) -> int:
        """Return how many deliveries reached an end state."""
        return self.sent + self.failed + self.gone

    @property
    def finished(self) -> bool:
        """Tell whether nothing is left to send."""
        return self.left == 0

    @property
    def seconds_left(self) -> float | None:
        """Estimate the time left from the recent rate (None while unknown)."""
        if self.finished:
            return 0.0
        return self.left / self.rate if self.rate > 0 else None

    @property
    def share(self) -> float:
        """Return the finished share, 0 to 1."""
        return self.done / self.total if self.total else 1.0


def from_counts(
    appeal_id: int, counts: dict[DeliveryState, int], *, rate: float, elapsed: float
) -> Progress:
    """Turn per-state counts into progress."""
    left = sum(
        counts.get(state, 0)
        for state in (DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.AWAITING)
    )
    sent = counts.get(DeliveryState.SENT, 0)
    failed = counts.get(DeliveryState.FAILED, 0)
    gone = counts.get(DeliveryState.SKIPPED, 0)
    return Progress(
        appeal_id=appeal_id,
        total=left + sent + failed + gone,
        sent=sent,
        failed=failed,
        gone=gone,
        left=left,
        rate=rate,
        elapsed=elapsed,
    )


@dataclass
class RateMeter:
    """Deliveries finished per second over the last RATE_WINDOW seconds."""

    samples: deque[tuple[float, int]] = field(default_factory=deque)

    def add(self, done: int, now: float | None = None) -> float:
        """Record how many are done now; return the recent rate."""
        now = time.monotonic() if now is None else now
        self.samples.append((now, done))
        while len(self.samples) > 2 and now - self.samples[0][0] > RATE_WINDOW:
            self.samples.popleft()
        first_time, first_done = self.samples[0]
        if now - first_time <= 0:
            return 0.0
        return max(0.0, (done - first_done) / (now - first_time))


async def measure(db: Database, appeal_id: int, meter: RateMeter, *, started: float) -> Progress:
    """Read the counts of an appeal's broadcast and update its rate."""
    async with db.read() as session:
        counts = await state_counts(session, appeal_id)
    partial = from_counts(appeal_id, counts, rate=0.0, elapsed=0.0)
    rate = meter.add(partial.done)
    return from_counts(appeal_id, counts, rate=rate, elapsed=time.monotonic() - started)


async def follow(
    db: Database,
    appeal_id: int,
    *,
    report: Callable[[Progress], Awaitable[None] | None],
    every: float = 0.5,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> Progress:
    """Report progress every ``every`` seconds until nothing is left; return the final one."""
    pause = sleep or asyncio.sleep
    meter = RateMeter()
    started = time.monotonic()
    while True:
        progress = await measure(db, appeal_id, meter, started=started)
        outcome = report(progress)
        if outcome is not None:
            await outcome
        if progress.finished:
            return progress
        await pause(every)
