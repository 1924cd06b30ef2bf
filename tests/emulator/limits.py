"""Telegram's flood limits as token buckets: global, per chat, per group."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field


@dataclass
class Bucket:
    """Holds up to ``capacity`` tokens, refilled at ``rate`` per second."""

    rate: float
    capacity: float
    tokens: float = -1.0
    stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.capacity

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait_needed(self, now: float) -> float:
        """Return 0 when a token is there, else the seconds until one will be."""
        self._refill(now)
        if self.tokens >= 1.0:
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def take(self) -> None:
        """Spend a token (after wait_needed said one is there)."""
        self.tokens -= 1.0


@dataclass
class Limits:
    """What the emulator enforces; ``enabled=False`` turns every limit off."""

    enabled: bool = True
    global_rate: float = 30.0
    global_burst: float = 30.0
    chat_rate: float = 1.0
    chat_burst: float = 3.0
    group_per_minute: float = 20.0
    paid_rate: float = 1000.0


class FloodControl:
    """Decide whether a message may go now, or how long the sender must wait."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._global = Bucket(rate=limits.global_rate, capacity=limits.global_burst)
        self._paid = Bucket(rate=limits.paid_rate, capacity=limits.paid_rate)
        self._chats: dict[int, Bucket] = {}
        self._groups: dict[int, Bucket] = {}

    def reconfigure(self, limits: Limits) -> None:
        """Apply new limits; every bucket starts full."""
        self.limits = limits
        self._global = Bucket(rate=limits.global_rate, capacity=limits.global_burst)
        self._paid = Bucket(rate=limits.paid_rate, capacity=limits.paid_rate)
        self._chats.clear()
        self._groups.clear()

    def retry_after(self, chat_id: int, *, is_group: bool, paid: bool = False) -> int:
        """Return 0 and count the message if it may go, else whole seconds to wait.

        Paid broadcasts (allow_paid_broadcast) have their own, much larger, global budget.
        """
        if not self.limits.enabled:
            return 0
        now = time.monotonic()
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = Bucket(
                rate=self.limits.chat_rate, capacity=self.limits.chat_burst
            )
        buckets = [self._paid if paid else self._global, chat]
        if is_group:
            group = self._groups.get(chat_id)
            if group is None:
                per_second = self.limits.group_per_minute / 60.0
                group = self._groups[chat_id] = Bucket(
                    rate=per_second, capacity=self.limits.group_per_minute
                )
            buckets.append(group)
        wait = max(bucket.wait_needed(now) for bucket in buckets)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.take()
        return 0
