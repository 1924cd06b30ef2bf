"""Telegram's flood limits, kept on our side: global, per chat, per group, with priorities.

Each limit is a sliding window, as Telegram counts: at most N messages in any window of S
seconds, by when they reach Telegram. We cannot see that moment, but it lies between our
grant and Telegram's answer; so a message takes its place in every window from the grant
(while it is on its way) and keeps it until S seconds after the answer. Queueing in our own
connection pool, a paused event loop or a jittery network can then bunch arrivals as they
like: none can fall into Telegram's window with more than N others. The price is the round
trip: a window holds N messages per S seconds plus one round trip.

Broadcasts are paced evenly at the nominal rate: a reply never waits long for a free place,
and what is granted leaves at once (a burst would wait in our own connection pool, hold its
places longer, and leave the next window thin). When the event loop wakes late, the sends it
missed go out at once (up to ``catch_up`` seconds' worth) instead of being lost, as they
would be from a bucket of a few tokens. Replies to people go first: a broadcast takes a
place only when no reply is waiting for one.

A 429 for one chat pauses that chat; a 429 for the whole budget halves our rate and pauses
broadcasts for as long as Telegram says, once per episode, then the rate climbs back by a
twentieth of the budget every second (additive increase, multiplicative decrease).
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import IntEnum

from core.timing import MAX_WAIT, bounded_wait

log = logging.getLogger(__name__)

# While a window is full of messages still on their way, look again this often.
_POLL = 0.005


class Priority(IntEnum):
    INTERACTIVE = 0
    BULK = 1


@dataclass(frozen=True, slots=True)
class FloodLimits:
    """Telegram's limits as we keep them."""

    global_rate: float = 30.0  # messages per second, across chats
    paid_rate: float = 1000.0  # with allow_paid_broadcast
    chat_burst: int = 3  # per chat: at most this many ...
    chat_window: float = 3.0  # ... within this many seconds
    group_per_minute: int = 20
    jitter: float = 0.005  # seconds added to every window (clocks, rounding)
    catch_up: float = 0.1  # seconds of missed broadcast sends that may go at once
    recover_every: float = 1.0  # after a global 429, the rate climbs back this often
    # The longest Telegram may pause all broadcasts at once (a longer retry_after is taken
    # as this; a later 429 pauses them again) and one chat.
    max_pause: float = 60.0
    max_chat_pause: float = MAX_WAIT


@dataclass(frozen=True, slots=True)
class FloodStatus:
    """What the limiter is doing now, for progress messages."""

    rate: float  # the global rate we keep to now
    configured: float  # the rate we keep to when Telegram is not slowing us down
    pauses: int  # how often Telegram told us to slow down (429) in this process
    paused_seconds: float  # for how long, in all


class Window:
    """At most ``limit`` messages in any ``seconds``-long window, counting those on their way."""

    __slots__ = ("limit", "paced", "pending", "seconds", "stamps")

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self.stamps: deque[float] = deque()  # when Telegram answered, in order
        self.pending = 0  # granted, not answered yet
        self.paced = 0.0  # when the next broadcast message may go, by even pacing

    @classmethod
    def per_second(cls, rate: float, jitter: float) -> Window:
        """A window for a rate: N per second, or one per 1/rate seconds below one a second."""
        if rate >= 1:
            return cls(int(rate), 1.0 + jitter)
        return cls(1, 1.0 / rate + jitter)

    def wait(self, now: float, *, limit: int | None = None) -> float:
        """Return 0 when one more message fits now (at most ``limit``), else seconds to wait."""
        stamps = self.stamps
        while stamps and stamps[0] <= now - self.seconds:
            stamps.popleft()
        allowed = self.limit if limit is None else min(limit, self.limit)
        excess = len(stamps) + self.pending - allowed + 1
        if excess <= 0:
            return 0.0
        if excess > len(stamps):
            return _POLL  # full of messages on their way: wait for answers
        return stamps[excess - 1] + self.seconds - now

    def take(self) -> None:
        """Count a message on its way."""
        self.pending += 1

    def answered(self, at: float) -> None:
        """A message that was on its way was answered at ``at``."""
        self.pending -= 1
        if not self.stamps or at >= self.stamps[-1]:
            self.stamps.append(at)
        else:
            self.stamps.insert(bisect.bisect_right(self.stamps, at), at)

    def busy(self, now: float) -> bool:
        """Tell whether any message is on its way or still in the window."""
        return self.pending > 0 or (bool(self.stamps) and self.stamps[-1] > now - self.seconds)


class Slot:
    """A message's place in its windows; it must be released when Telegram has answered."""

    __slots__ = ("_clock", "_windows")

    def __init__(self, windows: tuple[Window, ...], clock: Callable[[], float]) -> None:
        self._windows = windows
        self._clock = clock

    def release(self, at: float | None = None) -> None:
        """Telegram answered (or the message never went): keep the place S seconds more."""
        if not self._windows:
            return
        when = self._clock() if at is None else at
        for window in self._windows:
            window.answered(when)
        self._windows = ()


@dataclass(frozen=True, slots=True)
class Grant:
    """A broadcast message's grant: a slot, or for how long its chat is busy (no slot)."""

    slot: Slot | None
    busy: float = 0.0


@dataclass
class FloodLimiter:
    """Decides when each message may go."""

    limits: FloodLimits = field(default_factory=FloodLimits)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _free: Window = field(init=False)
    _paid: Window = field(init=False)
    _chats: dict[int, Window] = field(init=False, default_factory=dict)
    _groups: dict[int, Window] = field(init=False, default_factory=dict)
    _chat_paused: dict[int, float] = field(init=False, default_factory=dict)
    _bulk_paused_until: float = field(init=False, default=0.0)
    _bulk_lock: asyncio.Lock = field(init=False, default_factory=asyncio.Lock)
    _replies_waiting: int = field(init=False, default=0)
    _reply_taken: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    _share: float = field(init=False, default=1.0)  # of the budgets, lowered after a 429
    _recovered_at: float = field(init=False, default=0.0)
    _pauses: int = field(init=False, default=0)
    _paused_seconds: float = field(init=False, default=0.0)
    _calls: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        limits = self.limits
        self._free = Window.per_second(limits.global_rate, limits.jitter)
        self._paid = Window.per_second(limits.paid_rate, limits.jitter)

    # ---- the windows ------------------------------------------------------------------------

    def _chat(self, chat_id: int) -> Window:
        window = self._chats.get(chat_id)
        if window is None:
            limits = self.limits
            window = Window(limits.chat_burst, limits.chat_window + limits.jitter)
            self._chats[chat_id] = window
        return window

    def _group(self, chat_id: int) -> Window:
        window = self._groups.get(chat_id)
        if window is None:
            window = Window(self.limits.group_per_minute, 60.0 + self.limits.jitter)
            self._groups[chat_id] = window
        return window

    def _recover(self, now: float) -> None:
        """After a global 429: a twentieth of the budget more, every ``recover_every`` s."""
        if self._share >= 1.0 or now - self._recovered_at < self.limits.recover_every:
            return
        steps = int((now - self._recovered_at) / self.limits.recover_every)
        self._share = min(1.0, self._share + steps / 20)
        self._recovered_at += steps * self.limits.recover_every
        if self._share >= 1.0:
            log.warning("Telegram's limit: back to %.0f messages a second", self.limits.global_rate)

    def _allowed(self, window: Window, now: float) -> int:
        """Return how many the window may hold now (fewer after a global 429)."""
        self._recover(now)
        return max(1, math.floor(window.limit * self._share))

    def chat_wait(self, chat_id: int, *, is_group: bool, now: float | None = None) -> float:
        """Return how long this chat must wait before its next message (0: it may go)."""
        now = self.clock() if now is None else now
        wait = max(self._chat(chat_id).wait(now), self._chat_paused.get(chat_id, 0.0) - now)
        if is_group:
            wait = max(wait, self._group(chat_id).wait(now))
        return max(0.0, wait)

    def try_acquire(
        self, chat_id: int, *, is_group: bool, priority: Priority, paid: bool = False
    ) -> Slot | float:
        """Take a place now and return its slot, or return the seconds to wait."""
        now = self.clock()
        wait = self.chat_wait(chat_id, is_group=is_group, now=now)
        budget = self._paid if paid and priority is Priority.BULK else self._free
        allowed = self._allowed(budget, now)
        wait = max(wait, budget.wait(now, limit=allowed))
        paced = 0.0
        if priority is Priority.BULK:
            wait = max(wait, self._bulk_paused_until - now)
            paced = max(budget.paced, now - self.limits.catch_up)
            wait = max(wait, paced - now)
        if wait > 0:
            return wait
        if priority is Priority.BULK:
            budget.paced = paced + budget.seconds / allowed / (1.0 + self.limits.jitter)
        windows = [budget, self._chat(chat_id)]
        if is_group:
            windows.append(self._group(chat_id))
        for window in windows:
            window.take()
        self._calls += 1
        if self._calls % 2_000 == 0:
            self._prune(now)
        return Slot(tuple(windows), self.clock)

    # ---- waiting for a turn -----------------------------------------------------------------

    async def acquire(self, chat_id: int, *, is_group: bool, priority: Priority) -> Slot:
        """Wait until a message to this chat may go; return its slot (release it after)."""
        if priority is Priority.INTERACTIVE:
            return await self._acquire_reply(chat_id, is_group=is_group)
        while True:
            turn = await self.acquire_bulk(chat_id, is_group=is_group)
            if turn.slot is not None:
                return turn.slot
            await self.sleep(turn.busy)

    async def acquire_bulk(self, chat_id: int, *, is_group: bool, paid: bool = False) -> Grant:
        """Wait for a broadcast's turn and take a slot, unless the chat itself is busy:
        then return how long it is busy for, and take nothing (others go first meanwhile)."""
        async with self._bulk_lock:
            while True:
                busy = self.chat_wait(chat_id, is_group=is_group)
                if busy > 0:
                    return Grant(None, busy)
                if self._replies_waiting:
                    self._reply_taken.clear()
                    await self._reply_taken.wait()
                    continue
                granted = self.try_acquire(
                    chat_id, is_group=is_group, priority=Priority.BULK, paid=paid
                )
                if isinstance(granted, Slot):
                    return Grant(granted)
                await self.sleep(granted)

    async def _acquire_reply(self, chat_id: int, *, is_group: bool) -> Slot:
        while True:
            busy = self.chat_wait(chat_id, is_group=is_group)
            if busy > 0:
                await self.sleep(busy)  # the chat's own limit: broadcasts need not wait
                continue
            granted = self.try_acquire(chat_id, is_group=is_group, priority=Priority.INTERACTIVE)
            if isinstance(granted, Slot):
                return granted
            # Waiting for the shared budget: broadcasts hold back until this reply has gone.
            self._replies_waiting += 1
            try:
                await self.sleep(granted)
            finally:
                self._replies_waiting -= 1
                self._reply_taken.set()

    # ---- what Telegram said ---------------------------------------------------------------

    def told_to_wait(self, chat_id: int, seconds: float) -> bool:
        """Take a 429 for a message to ``chat_id``; return whether it was for the whole budget.

        If we sent to that chat a moment ago, it is the chat's own limit: only it waits.
        Otherwise the whole budget is spent: the rate halves (once per episode) and
        broadcasts pause.
        """
        now = self.clock()
        seconds = bounded_wait(seconds, cap=self.limits.max_chat_pause)
        self._pauses += 1
        self._paused_seconds += seconds
        chat = self._chats.get(chat_id)
        recent = chat is not None and len(chat.stamps) + chat.pending >= 2 and chat.busy(now)
        if recent:
            self.pause_chat(chat_id, seconds)
            return False
        self.pause_bulk(seconds)
        self.pause_chat(chat_id, seconds)
        seconds = min(seconds, self.limits.max_pause)
        if now < self._recovered_at:
            # More answers from sends that left before the slowdown: the same episode.
            self._recovered_at = max(self._recovered_at, now + seconds)
            return True
        if self._share >= 1.0:
            log.warning(
                "Telegram asked us to slow down for %.0f s; sending at most %.0f a second for now",
                seconds,
                self.limits.global_rate * self._share / 2,
            )
        self._share = max(1 / 20, self._share / 2)
        self._recovered_at = now + seconds
        return True

    def pause_chat(self, chat_id: int, seconds: float) -> None:
        """Hold every message to one chat for ``seconds``."""
        until = self.clock() + bounded_wait(seconds, cap=self.limits.max_chat_pause)
        self._chat_paused[chat_id] = max(self._chat_paused.get(chat_id, 0.0), until)

    def pause_bulk(self, seconds: float) -> None:
        """Hold broadcasts for ``seconds`` (at most ``max_pause``); replies to people still go."""
        seconds = bounded_wait(seconds, cap=self.limits.max_pause)
        self._bulk_paused_until = max(self._bulk_paused_until, self.clock() + seconds)

    def bulk_pause_left(self) -> float:
        """Return how long broadcasts are still paused."""
        return max(0.0, self._bulk_paused_until - self.clock())

    def status(self) -> FloodStatus:
        """Return the rate kept to now and the pauses Telegram imposed."""
        self._recover(self.clock())
        return FloodStatus(
            rate=self.limits.global_rate * self._share,
            configured=self.limits.global_rate,
            pauses=self._pauses,
            paused_seconds=self._paused_seconds,
        )

    def _prune(self, now: float) -> None:
        for table in (self._chats, self._groups):
            for chat_id in [key for key, window in table.items() if not window.busy(now)]:
                del table[chat_id]
        for chat_id in [key for key, until in self._chat_paused.items() if until <= now]:
            del self._chat_paused[chat_id]
