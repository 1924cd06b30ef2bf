"""Our side of Telegram's limits, on a fake clock: pacing, bursts, priorities, pauses."""

from __future__ import annotations

import pytest

from bot.telegram.flood import FloodLimiter, FloodLimits, Priority


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def limiter(clock: Clock, **values: float) -> FloodLimiter:
    return FloodLimiter(FloodLimits(**values), clock=clock)


def test_bulk_keeps_a_reserve_for_replies(clock: Clock) -> None:
    rate = limiter(clock, global_rate=10, global_burst=5, interactive_reserve=2)
    taken = [rate.try_acquire(n, is_group=False, priority=Priority.BULK) for n in range(7)]
    assert taken[:5] == [0.0] * 5
    assert taken[5] > 0
    # A person asking right now is not kept waiting by the broadcast.
    assert rate.try_acquire(900, is_group=False, priority=Priority.INTERACTIVE) == 0.0
    assert rate.try_acquire(901, is_group=False, priority=Priority.INTERACTIVE) == 0.0
    assert rate.try_acquire(902, is_group=False, priority=Priority.INTERACTIVE) > 0


def test_global_rate_is_kept_over_time(clock: Clock) -> None:
    rate = limiter(clock, global_rate=30, global_burst=5, interactive_reserve=2)
    sent = 0
    for step in range(3000):  # ten seconds in steps of 1/300 s
        clock.now += 1 / 300
        if rate.try_acquire(step, is_group=False, priority=Priority.BULK) == 0.0:
            sent += 1
    assert 295 <= sent <= 310


def test_one_chat_gets_a_short_burst_then_one_a_second(clock: Clock) -> None:
    rate = limiter(clock, global_rate=1000, chat_rate=1.0, chat_burst=2)
    assert rate.try_acquire(5, is_group=False, priority=Priority.INTERACTIVE) == 0.0
    assert rate.try_acquire(5, is_group=False, priority=Priority.INTERACTIVE) == 0.0
    wait = rate.try_acquire(5, is_group=False, priority=Priority.INTERACTIVE)
    assert wait == pytest.approx(1.0)
    assert rate.chat_delay(5, is_group=False) == pytest.approx(1.0)
    assert rate.try_acquire(6, is_group=False, priority=Priority.INTERACTIVE) == 0.0
    clock.now += 1.0
    assert rate.try_acquire(5, is_group=False, priority=Priority.INTERACTIVE) == 0.0


def test_groups_get_at_most_19_a_minute(clock: Clock) -> None:
    rate = limiter(clock, global_rate=1000, global_burst=1000, chat_rate=1000, chat_burst=1000)
    results = [rate.try_acquire(-7, is_group=True, priority=Priority.BULK) for _ in range(20)]
    assert results[:19] == [0.0] * 19
    assert results[19] == pytest.approx(60 / 19)


def test_a_429_pauses_the_chat_and_bulk_but_not_replies(clock: Clock) -> None:
    rate = limiter(clock, global_rate=1000)
    rate.pause_chat(9, 5)
    rate.pause_bulk(5)
    assert rate.try_acquire(9, is_group=False, priority=Priority.INTERACTIVE) == pytest.approx(5)
    assert rate.try_acquire(10, is_group=False, priority=Priority.BULK) == pytest.approx(5)
    assert rate.try_acquire(11, is_group=False, priority=Priority.INTERACTIVE) == 0.0
    assert rate.bulk_pause_left() == pytest.approx(5)
    clock.now += 5
    assert rate.try_acquire(10, is_group=False, priority=Priority.BULK) == 0.0
    assert rate.try_acquire(9, is_group=False, priority=Priority.INTERACTIVE) == 0.0


def test_idle_chats_are_forgotten(clock: Clock) -> None:
    rate = limiter(clock, global_rate=100_000, global_burst=100_000)
    for chat in range(10_000):
        rate.try_acquire(chat, is_group=False, priority=Priority.BULK)
        clock.now += 0.001
    clock.now += 10
    for chat in range(10_000, 20_000):
        rate.try_acquire(chat, is_group=False, priority=Priority.BULK)
    assert len(rate._chats) <= 10_001
