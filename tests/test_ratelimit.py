"""Our side of Telegram's limits, on a fake clock: windows kept, budget used, replies first."""

from __future__ import annotations

import asyncio
import bisect
import logging
import random
from typing import Any

import pytest

from bot.telegram.flood import FloodLimiter, FloodLimits, Priority, Slot


class Clock:
    """A clock that only moves when told to; sleeping moves it (and may overshoot)."""

    def __init__(self, *, late: float = 0.0, seed: int = 1) -> None:
        self.now = 1000.0
        self.late = late
        self._random = random.Random(seed)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        # A busy event loop wakes sleepers late, never early.
        self.now += seconds + self._random.uniform(0, self.late)


def limiter(clock: Clock, **values: Any) -> FloodLimiter:
    return FloodLimiter(FloodLimits(**values), clock=clock, sleep=clock.sleep)


def went(granted: Slot | float) -> bool:
    """Tell whether a try_acquire granted a slot (and release it at once)."""
    if isinstance(granted, Slot):
        granted.release()
        return True
    return False


def wait_of(granted: Slot | float) -> float:
    """Return the wait a try_acquire asked for (0.0 when it granted one)."""
    return 0.0 if went(granted) else float(granted)  # type: ignore[arg-type]


def most_in_any_window(stamps: list[float], seconds: float = 1.0) -> int:
    """Return the most stamps any half-open window (t - seconds, t] holds."""
    ordered = sorted(stamps)
    return max(
        (n - bisect.bisect_right(ordered, at - seconds) + 1 for n, at in enumerate(ordered)),
        default=0,
    )


async def broadcast(
    rate: FloodLimiter, clock: Clock, count: int, *, paid: bool, rtt: float = 0.0, seed: int = 7
) -> list[float]:
    """Send ``count`` messages to as many chats, one after another; return when each
    reached Telegram: somewhere between the grant and the answer, ``rtt`` at most later."""
    spread = random.Random(seed)
    arrivals = []
    for chat in range(1, count + 1):
        turn = await rate.acquire_bulk(chat, is_group=False, paid=paid)
        assert turn.slot is not None
        granted = clock.now
        answered = granted + spread.uniform(0, rtt)
        arrivals.append(spread.uniform(granted, answered))
        turn.slot.release(answered)
    return arrivals


@pytest.mark.parametrize(("limit", "paid", "count"), [(30, False, 900), (1000, True, 20_000)])
@pytest.mark.parametrize("rtt", [0.0, 0.05])
async def test_no_second_ever_holds_more_than_the_limit_wherever_messages_arrive(
    limit: int, paid: bool, count: int, rtt: float
) -> None:
    clock = Clock(late=0.004)
    rate = limiter(clock, global_rate=30 if paid else limit, paid_rate=limit)
    arrivals = await broadcast(rate, clock, count, paid=paid, rtt=rtt)
    # Each message reaches Telegram anywhere between our grant and its answer: bunched by
    # queueing, a paused loop or the network as they may be, no second holds more.
    assert most_in_any_window(arrivals) <= limit


@pytest.mark.parametrize(("limit", "paid", "count"), [(30, False, 900), (1000, True, 20_000)])
async def test_the_whole_budget_is_used(limit: int, paid: bool, count: int) -> None:
    clock = Clock(late=0.002)  # an event loop that wakes sleepers a little late
    rate = limiter(clock, global_rate=30 if paid else limit, paid_rate=limit)
    started = clock.now
    arrivals = await broadcast(rate, clock, count, paid=paid, rtt=0.002)
    per_second = count / (max(arrivals) - started)
    # The limit, less the round trip each message holds its place for.
    assert per_second >= limit / 1.01 * 0.98, per_second


class StallingClock(Clock):
    """Wakes on time, except once, when the event loop is blocked for half a second."""

    def __init__(self, stall_at: int) -> None:
        super().__init__()
        self.sleeps = 0
        self.stall_at = stall_at
        self.stall_ended = 0.0

    async def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.now += seconds + (0.5 if self.sleeps == self.stall_at else 0.0)
        if self.sleeps == self.stall_at:
            self.stall_ended = self.now


@pytest.mark.parametrize(("limit", "paid"), [(30, False), (1000, True)])
async def test_what_a_blocked_loop_missed_goes_out_at_once(limit: int, paid: bool) -> None:
    clock = StallingClock(stall_at=limit * 2)
    rate = FloodLimiter(
        FloodLimits(global_rate=30 if paid else limit, paid_rate=limit),
        clock=clock,
        sleep=clock.sleep,
    )
    stamps = await broadcast(rate, clock, limit * 5, paid=paid)
    caught_up = stamps.count(clock.stall_ended)
    # What the stall held back went out the moment the loop was free again, up to a tenth
    # of a second's worth (a broadcast stays even, so that replies find free places).
    expected = limit * 0.1
    assert caught_up >= expected * 0.9, caught_up
    assert most_in_any_window(stamps) <= limit


async def test_a_429_storm_lowers_the_rate_then_restores_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    clock = Clock()
    rate = limiter(clock, global_rate=30, jitter=0.0)
    for chat in (1, 2, 3):
        assert went(rate.try_acquire(chat, is_group=False, priority=Priority.INTERACTIVE))
        assert rate.told_to_wait(chat, 2.0) is True  # no other message to it: the budget
    assert rate.status().rate < 30
    assert rate.status().pauses == 3
    assert rate.bulk_pause_left() == pytest.approx(2.0)
    # Replies still go while broadcasts are paused.
    clock.now += 1.0
    assert went(rate.try_acquire(50, is_group=False, priority=Priority.INTERACTIVE))
    assert not went(rate.try_acquire(51, is_group=False, priority=Priority.BULK))
    lowered = rate.status().rate
    clock.now += 2.0 + 5.0
    assert lowered < rate.status().rate < 30
    clock.now += 20.0
    assert rate.status().rate == 30
    episodes = [r.getMessage() for r in caplog.records if r.name == "bot.telegram.flood"]
    assert len([m for m in episodes if "slow down" in m]) == 1
    assert len([m for m in episodes if "back to 30" in m]) == 1


async def test_a_429_for_one_chat_pauses_that_chat_only() -> None:
    clock = Clock()
    rate = limiter(clock, global_rate=30)
    for _ in range(2):
        assert went(rate.try_acquire(7, is_group=False, priority=Priority.INTERACTIVE))
    assert rate.told_to_wait(7, 5.0) is False  # we just wrote to that chat twice
    assert rate.chat_wait(7, is_group=False) == pytest.approx(5.0)
    assert went(rate.try_acquire(8, is_group=False, priority=Priority.BULK))
    assert rate.status().rate == 30
    assert rate.bulk_pause_left() == 0


async def test_one_chat_gets_three_within_three_seconds() -> None:
    clock = Clock()
    rate = limiter(clock, global_rate=1000, jitter=0.03)
    reply = Priority.INTERACTIVE
    assert all(went(rate.try_acquire(5, is_group=False, priority=reply)) for _ in "abc")
    assert wait_of(rate.try_acquire(5, is_group=False, priority=reply)) == pytest.approx(3.03)
    assert went(rate.try_acquire(6, is_group=False, priority=reply))
    clock.now += 3.03
    assert went(rate.try_acquire(5, is_group=False, priority=reply))


async def test_a_busy_chat_does_not_hold_up_the_broadcast() -> None:
    clock = Clock()
    rate = limiter(clock, global_rate=1000)
    for _ in range(3):
        assert went(rate.try_acquire(5, is_group=False, priority=Priority.INTERACTIVE))
    # The busy chat is handed back with how long it is busy; the next chat goes at once.
    busy = await rate.acquire_bulk(5, is_group=False)
    assert busy.slot is None
    assert busy.busy == pytest.approx(3.005)
    assert (await rate.acquire_bulk(6, is_group=False)).slot is not None


async def test_groups_get_at_most_20_a_minute() -> None:
    clock = Clock()
    rate = limiter(clock, global_rate=1000, chat_burst=1000)
    results = [
        wait_of(rate.try_acquire(-7, is_group=True, priority=Priority.INTERACTIVE))
        for _ in range(21)
    ]
    assert results[:20] == [0.0] * 20
    assert results[20] == pytest.approx(60.005)


async def test_a_waiting_reply_goes_before_the_broadcast() -> None:
    rate = FloodLimiter(FloodLimits(global_rate=5, jitter=0.0))
    order: list[str] = []
    for chat in range(1, 6):
        went(rate.try_acquire(chat, is_group=False, priority=Priority.INTERACTIVE))

    async def bulk(chat: int) -> None:
        turn = await rate.acquire_bulk(chat, is_group=False)
        assert turn.slot is not None
        turn.slot.release()
        order.append(f"bulk {chat}")

    async def reply() -> None:
        (await rate.acquire(99, is_group=False, priority=Priority.INTERACTIVE)).release()
        order.append("reply")

    waiting = [asyncio.create_task(bulk(chat)) for chat in (10, 11)]
    await asyncio.sleep(0)  # each runs until it waits: the first for the budget, the next behind it
    assert not any(task.done() for task in waiting)
    await asyncio.gather(reply(), *waiting)
    assert order[0] == "reply"


async def test_idle_chats_are_forgotten() -> None:
    clock = Clock()
    rate = limiter(clock, global_rate=100_000)
    for chat in range(10_000):
        went(rate.try_acquire(chat, is_group=False, priority=Priority.INTERACTIVE))
        clock.now += 0.001
    clock.now += 10
    for chat in range(10_000, 20_000):
        went(rate.try_acquire(chat, is_group=False, priority=Priority.INTERACTIVE))
    assert len(rate._chats) <= 10_001
