"""PTB's hook into our rate limiter: replies are paced per chat and retried after a 429."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.delivery.ratelimit import Priority, RateLimiter

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

JSON = bool | dict[str, Any] | list[dict[str, Any]]


def retry_seconds(error: RetryAfter) -> float:
    """Return RetryAfter's wait in seconds, whichever type PTB gives it as."""
    value: int | timedelta = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _is_group(chat_id: int) -> bool:
    return chat_id < 0


class InteractiveRateLimiter(BaseRateLimiter[Priority]):
    """Pace what the bot sends through PTB; ``rate_limit_args`` may ask for bulk priority."""

    def __init__(self, limiter: RateLimiter) -> None:
        self._limiter = limiter

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

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
        for attempt in range(MAX_RETRIES + 1):
            await self._limiter.acquire(chat, is_group=_is_group(chat), priority=priority)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt == MAX_RETRIES:
                    raise
                wait = retry_seconds(error)
                log.info("%s got 429; retrying in %.0f s", endpoint, wait)
                self._limiter.pause_chat(chat, wait)
        raise AssertionError("unreachable")
