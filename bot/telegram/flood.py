"""Telegram's flood limits, kept on our side: global, per chat, per group, with priorities.

Replies to people go first: bulk sends leave a small reserve of the global budget untouched,
so an answer never waits behind a broadcast. A 429 pauses only the traffic it concerns.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import IntEnum


class Priority(IntEnum):
    INTERACTIVE = 0
    BULK = 1


@dataclass(slots=True)
class _Bucket:
    rate: float
    capacity: float
    tokens: float
    stamp: float
    paused_until: float = 0.0

    def delay(self, now: float, *, need: float = 1.0) -> float:
        if self.paused_until > now:
            return self.paused_until - now
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
        if self.tokens >= need:
            return 0.0
        return (need - self.tokens) / self.rate

    def idle(self, now: float) -> bool:
        return self.paused_until <= now and self.delay(now) == 0 and self.tokens >= self.capacity


@dataclass(frozen=True, slots=True)
class FloodLimits:
    """Our side of Telegram's limits, a little under them to absorb network jitter."""

    global_rate: float = 30.0
    global_burst: float = 5.0
    interactive_reserve: float = 2.0
    chat_rate: float = 1.0
    chat_burst: float = 2.0
    group_per_minute: float = 19.0


@dataclass
class FloodLimiter:
    """Decides when each message may go."""

    limits: FloodLimits = field(default_factory=FloodLimits)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _global: _Bucket = field(init=False)
    _chats: dict[int, _Bucket] = field(init=False, default_factory=dict)
    _groups: dict[int, _Bucket] = field(init=False, default_factory=dict)
    _locks: dict[Priority, asyncio.Lock] = field(init=False, default_factory=dict)
    _calls: int = field(init=False, default=0)
    _bulk_paused_until: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        limits = self.limits
        capacity = limits.global_burst + limits.interactive_reserve
        self._global = _Bucket(limits.global_rate, capacity, capacity, self.clock())
        self._locks = {priority: asyncio.Lock() for priority in Priority}

    def _chat(self, chat_id: int, now: float) -> _Bucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            burst = self.limits.chat_burst
            bucket = self._chats[chat_id] = _Bucket(self.limits.chat_rate, burst, burst, now)
        return bucket

    def _group(self, chat_id: int, now: float) -> _Bucket:
        bucket = self._groups.get(chat_id)
        if bucket is None:
            per_minute = self.limits.group_per_minute
            bucket = self._groups[chat_id] = _Bucket(per_minute / 60, per_minute, per_minute, now)
        return bucket

    def chat_delay(self, chat_id: int, *, is_group: bool) -> float:
        """Return how long this chat must wait before its next message (0: it may go)."""
        now = self.clock()
        delay = self._chat(chat_id, now).delay(now)
        if is_group:
            delay = max(delay, self._group(chat_id, now).delay(now))
        return delay

    def try_acquire(self, chat_id: int, *, is_group: bool, priority: Priority) -> float:
        """Take a send slot now and return 0, or return the seconds to wait."""
        now = self.clock()
        need = 1.0 if priority is Priority.INTERACTIVE else 1.0 + self.limits.interactive_reserve
        buckets = [self._chat(chat_id, now)]
        if is_group:
            buckets.append(self._group(chat_id, now))
        wait = max(bucket.delay(now) for bucket in buckets)
        wait = max(wait, self._global.delay(now, need=need))
        if priority is Priority.BULK:
            wait = max(wait, self._bulk_paused_until - now)
        if wait > 0:
            return wait
        for bucket in (*buckets, self._global):
            bucket.tokens -= 1.0
        self._calls += 1
        if self._calls % 10_000 == 0:
            self._prune(now)
        return 0.0

    async def acquire(self, chat_id: int, *, is_group: bool, priority: Priority) -> None:
        """Wait until a message to this chat may go, then take the slot."""
        async with self._locks[priority]:
            while (wait := self.try_acquire(chat_id, is_group=is_group, priority=priority)) > 0:
                await self.sleep(wait)

    def pause_chat(self, chat_id: int, seconds: float) -> None:
        """Hold every message to one chat for ``seconds`` (after a 429 for it)."""
        now = self.clock()
        bucket = self._chat(chat_id, now)
        bucket.paused_until = max(bucket.paused_until, now + seconds)

    def pause_bulk(self, seconds: float) -> None:
        """Hold bulk traffic for ``seconds``; replies to people still go."""
        self._bulk_paused_until = max(self._bulk_paused_until, self.clock() + seconds)

    def bulk_pause_left(self) -> float:
        """Return how long bulk traffic is still paused."""
        return max(0.0, self._bulk_paused_until - self.clock())

    def _prune(self, now: float) -> None:
        for table in (self._chats, self._groups):
            for chat_id in [key for key, bucket in table.items() if bucket.idle(now)]:
                del table[chat_id]
