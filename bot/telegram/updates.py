"""Updates from different chats are handled side by side; those of one chat, in order.

A slow step for one person (an admin's link being fetched) must not hold up everyone else,
but two parts of one pasted appeal must reach the draft one after the other. A chat waits for
its own turn before it takes one of the places that all chats share, so a flood from one chat
holds one place and delays only that chat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

# PTB's own bound only caps how many updates may wait at all; the places that run handlers
# are ours (``running``), taken once a chat's earlier updates are done.
WAITING_BOUND = 100_000
Handled = Callable[[int], None]
"""Told the id of every update once its handlers have finished (or it was dropped)."""


def _ignore(_update_id: int) -> None:
    """Nobody listens."""


class HandledUpdates:
    """Which updates the bot has finished handling: a listener for ``PerChatUpdateProcessor``
    that one can wait on (the sandbox's console waits for what was typed, a test for what it
    sent, instead of waiting for a quiet spell)."""

    def __init__(self) -> None:
        self._done: set[int] = set()
        self._changed = asyncio.Event()

    def __call__(self, update_id: int) -> None:
        self._done.add(update_id)
        self._changed.set()

    async def wait(self, update_id: int) -> None:
        """Wait until the update with this id has been handled."""
        while update_id not in self._done:
            self._changed.clear()
            await self._changed.wait()


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Run updates concurrently, except that each chat's updates run one at a time."""

    __slots__ = ("_dropped", "_handled", "_locks", "_per_chat", "_running", "_users")

    def __init__(
        self,
        max_concurrent_updates: int = 64,
        *,
        per_chat: int = 100,
        handled: Handled | None = None,
    ) -> None:
        super().__init__(WAITING_BOUND)
        self._running = asyncio.Semaphore(max_concurrent_updates)
        self._per_chat = per_chat
        self._handled = handled or _ignore
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}
        self._dropped = 0

    @property
    def dropped(self) -> int:
        """Return how many updates were dropped because their chat had too many waiting."""
        return self._dropped

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        update_id = update.update_id if isinstance(update, Update) else 0
        try:
            await self._process(update, coroutine)
        finally:
            self._handled(update_id)

    async def _process(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            async with self._running:
                await coroutine
            return
        waiting = self._users.get(chat.id, 0)
        if waiting >= self._per_chat:
            # One chat sending faster than it can be answered: the excess is dropped, so that
            # it cannot fill the memory of the process.
            if asyncio.iscoroutine(coroutine):
                coroutine.close()
            self._dropped += 1
            if self._dropped == 1 or self._dropped % 1_000 == 0:
                log.warning(
                    "a chat sent updates faster than it can be answered: %d dropped so far",
                    self._dropped,
                )
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._users[chat.id] = waiting + 1
        try:
            async with lock, self._running:
                await coroutine
        finally:
            self._users[chat.id] -= 1
            if not self._users[chat.id]:
                del self._users[chat.id]
                del self._locks[chat.id]
