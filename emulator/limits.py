"""Telegram's flood limits, as strictly as they read, and a lenient token-bucket option.

Strict (the default), counted on sendMessage, copyMessage and forwardMessage:
- at most 30 messages in any sliding 1-second window, across all chats;
- per chat about one per second: at most 3 within any 3 seconds, the only burst allowed;
- per group at most 20 in any sliding minute;
- with allow_paid_broadcast, at most 1,000 in any sliding second.

Lenient (``strict=False``): token buckets that refill continuously, a burst of
``global_burst``; kept for comparison, since a bucket lets more than 30 into some seconds.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass


class Window:
    """At most ``limit`` events in any ``seconds``-long window."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self._stamps: deque[float] = deque()

    def wait_needed(self, now: float) -> float:
        """Return 0 when one more event fits, else the seconds until it will."""
        stamps = self._stamps
        while stamps and stamps[0] <= now - self.seconds:
            stamps.popleft()
        if len(stamps) < self.limit:
            return 0.0
        return stamps[len(stamps) - self.limit] + self.seconds - now

    def take(self, now: float) -> None:
        """Count an event (after wait_needed said it fits)."""
        self._stamps.append(now)


@dataclass
class Bucket:
    """Holds up to ``capacity`` tokens, refilled at ``rate`` per second (lenient mode)."""

    rate: float
    capacity: float
    tokens: float = -1.0
    stamp: float | None = None  # the first event's time

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.capacity

    def wait_needed(self, now: float) -> float:
        """Return 0 when a token is there, else the seconds until one will be."""
        if self.stamp is None:
            self.stamp = now
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
        if self.tokens >= 1.0:
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        """Spend a token (after wait_needed said one is there)."""
        del now
        self.tokens -= 1.0


Limiter = Window | Bucket


@dataclass
class Limits:
    """What the emulator enforces; ``enabled=False`` turns every limit off."""

    enabled: bool = True
    strict: bool = True
    global_rate: float = 30.0
    global_burst: float = 30.0  # lenient mode only
    chat_burst: int = 3
    chat_window: float = 3.0
    chat_rate: float = 1.0  # lenient mode only
    group_per_minute: int = 20
    paid_rate: float = 1000.0


class FloodControl:
    """Decide whether a message may go now, or how long the sender must wait."""

    def __init__(self, limits: Limits) -> None:
        self.reconfigure(limits)

    def reconfigure(self, limits: Limits) -> None:
        """Apply new limits; every window starts empty, every bucket full."""
        self.limits = limits
        self._global = self._make(limits.global_rate, limits.global_burst)
        self._paid = self._make(limits.paid_rate, limits.paid_rate)
        self._chats: dict[int, Limiter] = {}
        self._groups: dict[int, Limiter] = {}

    def _make(self, per_second: float, burst: float) -> Limiter:
        if not self.limits.strict:
            return Bucket(rate=per_second, capacity=burst)
        if per_second >= 1:
            return Window(int(per_second), 1.0)
        return Window(1, 1.0 / per_second)  # slower than one a second: one per 1/rate s

    def _chat(self, chat_id: int) -> Limiter:
        limiter = self._chats.get(chat_id)
        if limiter is None:
            limits = self.limits
            if limits.strict:
                limiter = Window(limits.chat_burst, limits.chat_window)
            else:
                limiter = Bucket(rate=limits.chat_rate, capacity=limits.chat_burst)
            self._chats[chat_id] = limiter
        return limiter

    def _group(self, chat_id: int) -> Limiter:
        limiter = self._groups.get(chat_id)
        if limiter is None:
            per_minute = self.limits.group_per_minute
            limiter = (
                Window(per_minute, 60.0)
                if self.limits.strict
                else Bucket(rate=per_minute / 60.0, capacity=per_minute)
            )
            self._groups[chat_id] = limiter
        return limiter

    def retry_after(
        self, chat_id: int, *, is_group: bool, paid: bool = False, now: float | None = None
    ) -> int:
        """Return 0 and count the message if it may go, else whole seconds to wait.

        Paid broadcasts (allow_paid_broadcast) have their own, much larger, global budget.
        """
        if not self.limits.enabled:
            return 0
        now = time.monotonic() if now is None else now
        limiters = [self._paid if paid else self._global, self._chat(chat_id)]
        if is_group:
            limiters.append(self._group(chat_id))
        wait = max(limiter.wait_needed(now) for limiter in limiters)
        if wait > 0:
            return max(1, math.ceil(wait))
        for limiter in limiters:
            limiter.take(now)
        return 0
