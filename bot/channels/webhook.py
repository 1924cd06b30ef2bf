"""Signed webhooks: every publish, update and outcome POSTed as one JSON document to each URL
in APPEALBOT_OUTGOING_WEBHOOKS, signed by the Standard Webhooks scheme (webhook-id,
webhook-timestamp, webhook-signature: HMAC-SHA256 of id, timestamp and body).

Each URL is a mirror: it gets everything published, through the outbox, retried with back-off
until its receiver answers 2xx. The webhook-id is the event's, the same on every attempt, so a
receiver that saw it already can drop a repeat.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Annotated

import aiohttp
from pydantic import BaseModel, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode
from standardwebhooks.webhooks import Webhook

from bot.channels import Parts
from bot.delivery.channels import Can, Message, Mirror, Outcome, Pace, SendResult, Turn
from bot.presentation.news import AppealNews, View
from bot.presentation.render import Presenter
from core.timing import Clock
from storage.enums import SubscriberState
from storage.items import Item, Publication, Withdrawal
from storage.repo.deliveries import Recipient

USER_AGENT = "appealbot-webhooks/1"
TIMEOUT = 15.0
BUSY_AGAIN = 1.0  # a receiver still answering is asked again after this long
RETRY_LATER = 60.0  # when a receiver says 429 or 503 without saying how long


class WebhookSettings(BaseModel):
    """Receivers every publish, update and outcome is POSTed to, signed (Standard Webhooks)
    with this secret ("whsec_" and base64, as that scheme writes it)."""

    outgoing_webhooks: Annotated[tuple[str, ...], NoDecode] = ()
    outgoing_webhook_secret: SecretStr | None = None

    @field_validator("outgoing_webhooks", mode="before")
    @classmethod
    def _split_webhooks(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            for part in value:
                if not re.match(r"https?://[^/\s]+", str(part)):
                    raise ValueError(f"{part!r} is not an http(s) URL")
            return tuple(str(part) for part in value)
        return value

    @model_validator(mode="after")
    def _webhook_secret(self) -> WebhookSettings:
        if self.outgoing_webhooks and self.outgoing_webhook_secret is None:
            raise ValueError(
                "APPEALBOT_OUTGOING_WEBHOOK_SECRET must be set with APPEALBOT_OUTGOING_WEBHOOKS "
                "(for example: whsec_ followed by `openssl rand -base64 32`)"
            )
        if self.outgoing_webhook_secret is not None:
            try:
                Webhook(self.outgoing_webhook_secret.get_secret_value())
            except ValueError:
                raise ValueError(
                    "APPEALBOT_OUTGOING_WEBHOOK_SECRET is whsec_ followed by base64"
                ) from None
        return self


class WebhookChannel:
    """POST each event to its receivers, signed."""

    name = "webhook"
    # Machines get the appeal itself once, and the word when it is taken back; reminders
    # are for people.
    renders: frozenset[type[Item]] = frozenset({Publication, Withdrawal})
    can: frozenset[Can] = frozenset()
    role: str | None = None  # every worker may send: the budget is each receiver's own
    gone = SubscriberState.UNSUBSCRIBED

    def __init__(
        self, urls: tuple[str, ...], secret: str, *, clock: Clock, timeout: float = TIMEOUT
    ) -> None:
        self._clock = clock
        self._urls = urls
        self._signer = Webhook(secret)
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        # One request at a time per receiver: a small site is not flooded by a burst.
        self._locks: dict[str, asyncio.Lock] = {}
        self.pace = Pace(rate=20.0, concurrency=max(1, len(urls)))

    def render(self, view: View, recipient: Recipient) -> Message | None:
        """One JSON document: the appeal, or its withdrawal."""
        return Presenter.document_news(view) if isinstance(view, AppealNews) else None

    async def mirrors(self) -> list[Mirror]:
        return [Mirror(address=url, kind="webhook") for url in self._urls]

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout),
                headers={"User-Agent": USER_AGENT},
            )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def wait_turn(self, recipient: Recipient) -> Turn:
        lock = self._locks.setdefault(recipient.address or "", asyncio.Lock())
        if lock.locked():
            # Its receiver is still answering the last one: others go meanwhile.
            return Turn(busy=BUSY_AGAIN)
        await lock.acquire()
        return Turn(release=lock.release)

    async def send(self, recipient: Recipient, message: Message) -> SendResult:
        if recipient.address is None:
            return SendResult(Outcome.SKIP)
        await self.start()
        assert self._session is not None
        event_id = str(message.extra.get("event_id", ""))
        now = self._clock()
        headers = {
            "content-type": "application/json",
            "webhook-id": event_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self._signer.sign(event_id, now, message.text),
        }
        try:
            async with self._session.post(
                recipient.address, data=message.text.encode(), headers=headers
            ) as answer:
                status = answer.status
                retry_after = answer.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return SendResult(Outcome.RETRY, f"webhook: {type(exc).__name__}")
        return outcome(status, retry_after, now=self._clock())


def outcome(status: int, retry_after: str | None, *, now: datetime) -> SendResult:
    """Say what a receiver's answer means: 2xx delivered, 410 gone, 429 and 503 wait, other
    5xx and 408 again later, any other 4xx never."""
    if 200 <= status < 300:
        return SendResult(Outcome.SENT)
    if status == 410:
        return SendResult(Outcome.GONE, "webhook: 410 Gone")
    if status in (429, 503):
        return SendResult(
            Outcome.WAIT, f"webhook: {status}", retry_after=_seconds(retry_after, now)
        )
    if status >= 500 or status == 408:
        return SendResult(Outcome.RETRY, f"webhook: {status}")
    return SendResult(Outcome.FAILED, f"webhook: {status}")


def _seconds(value: str | None, now: datetime) -> float:
    if not value:
        return RETRY_LATER
    if value.strip().isdigit():
        return min(float(value), 3600.0)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return RETRY_LATER
    return max(0.0, min((when - now).total_seconds(), 3600.0))


def build(settings: WebhookSettings, parts: Parts) -> WebhookChannel | None:
    """Return the webhook channel, if receivers are configured (APPEALBOT_OUTGOING_WEBHOOKS)."""
    if not settings.outgoing_webhooks or settings.outgoing_webhook_secret is None:
        return None
    return WebhookChannel(
        settings.outgoing_webhooks,
        settings.outgoing_webhook_secret.get_secret_value(),
        clock=parts.clock,
    )
