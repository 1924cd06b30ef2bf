"""Telegram as a delivery channel: our rate limiter, the lean client, error classes."""

from __future__ import annotations

import logging
from typing import Any

from bot.delivery.channels import Message, Outcome, Result
from bot.telegram.client import BotApiClient
from bot.telegram.flood import FloodLimiter, Priority
from core.errors import BotApiError, BotApiRefusedError
from storage.enums import Channel
from storage.repo.deliveries import Recipient

log = logging.getLogger(__name__)

_GONE_400 = ("chat not found", "user not found", "peer_id_invalid", "group chat was deleted")


def classify(error: BotApiError) -> Result:
    """Map a failed Bot API call to what the engine should do about the message.

    Only Telegram's own final answers end a delivery: 400 for this message (it failed) or
    for a chat that no longer exists, 403 (the subscriber is gone). Everything else, from a
    reset connection to a proxy's HTML page, an unknown code or a revoked token, is
    temporary: the message goes out once the API answers properly again.
    """
    if not isinstance(error, BotApiRefusedError):
        return Result(Outcome.RETRY, str(error))
    description = error.description
    lowered = description.lower()
    if error.code == 429:
        return Result(Outcome.WAIT, description, retry_after=float(error.retry_after or 1))
    if error.migrate_to_chat_id:
        return Result(Outcome.MOVED, description, new_chat_id=int(error.migrate_to_chat_id))
    # 403: blocked, deactivated, kicked out of the group; 400: the chat no longer exists.
    if error.code == 403 or (error.code == 400 and any(m in lowered for m in _GONE_400)):
        return Result(Outcome.GONE, description)
    if error.code == 400:
        return Result(Outcome.FAILED, description)
    return Result(Outcome.RETRY, description)


class TelegramChannel:
    """Send appeals to Telegram chats under the shared rate limiter (bulk priority)."""

    channel = Channel.TELEGRAM

    def __init__(self, *, client: BotApiClient, limiter: FloodLimiter, paid: bool = False) -> None:
        self._client = client
        self._limiter = limiter
        self._paid = paid

    async def start(self) -> None:
        await self._client.start()

    async def close(self) -> None:
        await self._client.close()

    def delay_for(self, recipient: Recipient) -> float:
        chat_id = recipient.chat_id
        if chat_id is None:
            return 0.0
        return self._limiter.chat_delay(chat_id, is_group=chat_id < 0)

    async def wait_turn(self, recipient: Recipient) -> None:
        chat_id = recipient.chat_id
        if chat_id is not None:
            await self._limiter.acquire(chat_id, is_group=chat_id < 0, priority=Priority.BULK)

    async def send(self, recipient: Recipient, message: Message) -> Result:
        chat_id = recipient.chat_id
        if chat_id is None:
            return Result(Outcome.GONE, "no chat id")
        payload: dict[str, Any] = {
            "chat_id": chat_id,
            "text": message.html or message.text,
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
            **message.extra,
        }
        if self._paid:
            payload["allow_paid_broadcast"] = True
        try:
            await self._client.call("sendMessage", payload)
        except BotApiError as exc:
            result = classify(exc)
            if result.outcome is Outcome.WAIT:
                wait = result.retry_after or 1.0
                self._limiter.pause_chat(chat_id, wait)
                self._limiter.pause_bulk(wait)
                log.warning("Telegram asked to slow down for %.0f s", wait)
            return result
        return Result(Outcome.SENT)
