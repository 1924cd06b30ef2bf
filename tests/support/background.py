"""Run the emulator and the real service in a background thread, for synchronous tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from contextlib import AsyncExitStack
from typing import Any, TypeVar

from emulator import BotApiEmulator, Sent
from tests.support.bot import running_bot

T = TypeVar("T")


class BackgroundBot:
    """The service and the emulator on their own event loop, driven from test code."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.emulator = BotApiEmulator()
        self._stack = AsyncExitStack()

    def run(self, coroutine: Coroutine[Any, Any, T], *, timeout: float = 30.0) -> T:
        """Run a coroutine on the background loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def start(self) -> None:
        """Start the loop, the emulator and the service."""
        self.thread.start()

        async def enter() -> None:
            await self._stack.enter_async_context(self.emulator)
            await self._stack.enter_async_context(running_bot(self.emulator, self.database_url))

        self.run(enter(), timeout=60)

    def stop(self) -> None:
        """Stop the service, the emulator and the loop."""
        self.run(self._stack.aclose(), timeout=60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    def converse(self, chat_id: int, text: str) -> list[Sent]:
        """Write as a user and return the bot's answer."""
        return self.run(self.emulator.converse(chat_id, text, timeout=10))
