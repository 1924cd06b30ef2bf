"""How hard the delivery engine works, and what it counted since it started."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.delivery.channels import Pace
from bot.delivery.policy import RetryPolicy

_RETRY_FIELDS = frozenset({"max_attempts", "backoff_first", "backoff_cap"})


@dataclass(frozen=True, slots=True)
class LaneSize:
    """One channel's share of the engine: rows it holds at most, claims, senders."""

    max_in_flight: int
    claim_size: int
    first_claim: int
    senders: int


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """How hard the engine works; ``for_rate`` picks values that fit a send rate. The sizes
    are the most any one channel's lane gets; ``lane`` fits them to the channel's pace."""

    max_in_flight: int = 200
    claim_size: int = 100
    first_claim: int = 20  # after a quiet spell: small, so the first message leaves at once
    senders: int = 100
    flush_every: float = 0.05
    flush_size: int = 200
    idle_poll: float = 1.0
    lease: float = 15.0  # how long a claim holds without its worker's heartbeat
    heartbeat: float = 2.0  # how often a worker says it is alive (and renews its leases)
    stale_after: float = 6.0  # a worker silent this long is dead: its claims are freed
    thread_wait: float = 0.5  # a follow-up to a mirror waits this long for its thread's post
    # Neither a claim nor a record got through for this long: delivery is not alive.
    stalled_after: float = 60.0
    # The database's clock going back by more than this is a step, undone in what it stored.
    clock_tolerance: float = 5.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def lane(self, pace: Pace) -> LaneSize:
        """Return a channel's lane: about half a second of its sends in flight (at least
        what it takes at once, at most ``max_in_flight``), as many senders as it takes at
        once, so that sends wait in the lane, not inside the channel."""
        in_flight = int(min(self.max_in_flight, max(10, pace.concurrency, pace.rate / 2)))
        return LaneSize(
            max_in_flight=in_flight,
            claim_size=max(1, min(self.claim_size, max(5, in_flight // 2))),
            first_claim=max(1, min(self.first_claim, in_flight)),
            senders=max(1, min(self.senders, pace.concurrency, in_flight)),
        )

    @classmethod
    def for_rate(cls, rate: float, **overrides: Any) -> EngineConfig:
        """Keep about half a second of sends in flight (at least 10, at most 1,000)."""
        in_flight = int(min(1_000, max(10, rate / 2)))
        values: dict[str, Any] = {
            "max_in_flight": in_flight,
            "claim_size": max(5, in_flight // 2),
            "senders": min(in_flight, 200),
        }
        retry = {key: overrides.pop(key) for key in _RETRY_FIELDS & overrides.keys()}
        if retry:
            values["retry"] = RetryPolicy(**retry)
        values.update(overrides)
        return cls(**values)


@dataclass(slots=True)
class EngineStats:
    """What this engine did since it started."""

    outcomes: Counter[str] = field(default_factory=Counter)
    claimed: int = 0
    freed: int = 0  # dead workers' claims this engine freed
