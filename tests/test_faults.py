"""Faults: workers whose clocks disagree, frozen workers, one row sent by one worker."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from core.timing import system_clock
from emulator import BotApiEmulator, Limits
from tests.support.databases import MigratedDatabase
from tests.support.delivery import (
    add_subscribers,
    publish_appeal,
    running_engine,
    until_done,
)

MAY_DAY = 3


def ahead_by(offset: timedelta) -> Callable[[], datetime]:
    def clock() -> datetime:
        return system_clock() + offset

    return clock


@pytest.mark.parametrize("offset", [timedelta(seconds=10), timedelta(hours=2)], ids=str)
async def test_a_worker_whose_clock_runs_ahead_takes_nothing_from_the_others(
    emulator: BotApiEmulator, seeded_db: MigratedDatabase, offset: timedelta
) -> None:
    # Two workers on one PostgreSQL database, one of them on a drifting VM clock: the shared
    # times (heartbeats, leases, "due") are the database's, so neither sees the other as dead.
    emulator.set_limits(Limits(enabled=False))
    chats = list(range(96_001, 97_501))
    await add_subscribers(seeded_db.sessions, chats)
    await publish_appeal(seeded_db.url, MAY_DAY, paid=True)
    async with (
        running_engine(emulator, seeded_db.url, rate=300, paid=True) as slow,
        running_engine(
            emulator, seeded_db.url, rate=300, paid=True, clock=ahead_by(offset)
        ) as fast,
    ):
        slow.wake()
        fast.wake()
        await asyncio.wait_for(until_done(seeded_db.database, MAY_DAY), timeout=60)
        freed = slow.stats.freed + fast.stats.freed
    sent = Counter(chat for chat in chats for _ in emulator.sent(chat))
    assert sent == Counter(dict.fromkeys(chats, 1)), "every reader once"
    assert freed == 0, "nobody stopped: nothing was taken over"
