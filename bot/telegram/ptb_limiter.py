"""PTB's hook into our rate limiter: replies are paced per chat and retried after a 429.

A reply that fails for a temporary reason (no answer, a 5xx, a proxy's page) is sent again
with growing pauses until the Bot API answers properly again, for a few minutes at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

from bot.telegram.flood import FloodLimiter, Priority, Slot
from core.errors import StoppingError
from core.timing import bounded_wait

log = logging.getLogger(__name__)

PACED_ENDPOINTS = frozenset(
    {
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "sendPhoto",
        "sendDocument",
        "copyMessage",
        "forwardMessage",
    }
)
MAX_RETRIES = 3
OUTAGE_SECONDS = 300.0
OUTAGE_FIRST_PAUSE = 1.0
OUTAGE_LONGEST_PAUSE = 30.0

JSON = bool | dict[str, Any] | list[dict[str, Any]]


def retry_seconds(error: RetryAfter) -> float:
    """Return RetryAfter's wait in seconds, whichever type PTB gives it as."""
    value: int | timedelta = error.retry_after
    return bounded_wait(value.total_seconds() if isinstance(value, timedelta) else value)


def _is_group(chat_id: int) -> bool:
    return chat_id < 0


async def _drop(turn: asyncio.Future[Slot]) -> None:
    """Give up a turn: cancelled while it waits, released if it came all the same."""
    turn.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await turn
    if turn.done() and not turn.cancelled() and turn.exception() is None:
        turn.result().release()


class PtbRateLimiter(BaseRateLimiter[Priority]):
    """Pace what the bot sends through PTB; ``rate_limit_args`` may ask for bulk priority."""

    def __init__(self, limiter: FloodLimiter, *, outage_seconds: float = OUTAGE_SECONDS) -> None:
        self._limiter = limiter
        self._outage_seconds = outage_seconds
        self._stopping = asyncio.Event()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Stop waiting for the API to come back."""
        self.stop_retrying()

    def stop_retrying(self) -> None:
        """Give up on replies still waiting out an outage (the service is stopping)."""
        self._stopping.set()

    async def _pause(self, seconds: float) -> bool:
        """Sleep, unless the service stops first; return whether to go on."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        return not self._stopping.is_set()

    async def _acquire(self, chat: int, priority: Priority) -> Slot:
        """Wait for the message's turn; give up when the service stops (a chat that sent
        far more than it can be answered must not hold up the shutdown)."""
        turn = asyncio.ensure_future(
            self._limiter.acquire(chat, is_group=_is_group(chat), priority=priority)
        )
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({turn, stopping}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            await _drop(turn)
            raise
        finally:
            stopping.cancel()
        if not turn.done():
            await _drop(turn)
            raise StoppingError
        return turn.result()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Priority | None,
    ) -> JSON:
        chat = data.get("chat_id")
        if endpoint not in PACED_ENDPOINTS or not isinstance(chat, int):
            return await callback(*args, **kwargs)
        priority = rate_limit_args or Priority.INTERACTIVE
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self._outage_seconds
        pause = OUTAGE_FIRST_PAUSE
        told = 0
        while True:
            slot = await self._acquire(chat, priority)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                slot.release()
                told += 1
                if told > MAX_RETRIES:
                    raise
                wait = retry_seconds(error)
                log.info("%s got 429; retrying in %.0f s", endpoint, wait)
                self._limiter.told_to_wait(chat, wait)
            except BadRequest:
                raise
            except NetworkError as error:
                slot.release()
                # Temporary: the message did not go (or we cannot tell); wait for the API.
                if loop.time() + pause > give_up_at:
                    raise
                log.info("%s failed (%s); trying again in %.0f s", endpoint, error, pause)
                if not await self._pause(pause):
                    raise
                pause = min(OUTAGE_LONGEST_PAUSE, pause * 2)
            finally:
                slot.release()  # answered (releasing twice does nothing)
