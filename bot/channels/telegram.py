"""Telegram as a delivery channel: our rate limiter, the lean client, error classes."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any, TypeGuard

from pydantic import BaseModel, Field, SecretStr, field_validator

from bot.channels import Parts
from bot.delivery.channels import Can, Message, Mirror, Outcome, Pace, SendResult, Turn
from bot.presentation.news import (
    AdminNews,
    AppealNews,
    ProgressNews,
    ReviewNews,
    TroubleNews,
    View,
)
from bot.presentation.render import Presenter
from bot.telegram.client import BotApiClient
from bot.telegram.flood import FloodLimiter
from bot.telegram.mirror import ChannelMirror
from core.errors import BotApiError, BotApiRefusedError
from storage.enums import SubscriberState
from storage.items import (
    AdminNotice,
    Item,
    Nudge,
    ProgressMessage,
    Publication,
    Reminder,
    Review,
    SourceTrouble,
)
from storage.repo.deliveries import Recipient

log = logging.getLogger(__name__)

NAME = "telegram"  # what its subscribers and deliveries are stored under


class TelegramSettings(BaseModel):
    """The bot: its token, the Bot API it talks to, how updates arrive, how fast it sends."""

    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    # Set: Telegram posts updates to this HTTPS URL (served by the HTTP app, its path as
    # given), each checked against the secret token. Unset: long polling.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    # A channel every published appeal is also posted to.
    telegram_channel: str | None = None
    telegram_rate: float = Field(default=30.0, gt=0)
    telegram_paid_broadcast: bool = False
    telegram_paid_rate: float = Field(default=1000.0, gt=0)
    # The bot's @username for its deep links on the pages (else asked of the Bot API).
    bot_username: str | None = None

    @field_validator("webhook_url")
    @classmethod
    def _webhook_https(cls, value: str | None) -> str | None:
        if value and not value.startswith("https://"):
            raise ValueError("Telegram posts updates to HTTPS URLs only (https://…)")
        return value

    @field_validator("telegram_channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if re.fullmatch(r"@[A-Za-z][A-Za-z0-9_]{3,31}|-100[0-9]{5,15}", value) is None:
            raise ValueError("a channel's @username or its id (-100…)")
        return value

    @field_validator("bot_username")
    @classmethod
    def _username(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().removeprefix("@")
        if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", value) is None:
            raise ValueError("a bot's @username (letters, digits and _)")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _strip_api_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def bot_base_url(self) -> str:
        """Return the Bot API base in the form PTB expects (the token is inserted)."""
        return f"{self.telegram_api_url}/bot{{token}}"

    @property
    def broadcast_rate(self) -> float:
        """Return the global rate the broadcaster keeps to, in messages per second."""
        return self.telegram_paid_rate if self.telegram_paid_broadcast else self.telegram_rate


_GONE_400 = ("chat not found", "user not found", "peer_id_invalid", "group chat was deleted")


def classify(error: BotApiError) -> SendResult:
    """Map a failed Bot API call to what the engine should do about the message.

    Only Telegram's own final answers end a delivery: 400 for this message (it failed) or
    for a chat that no longer exists, 403 (the subscriber is gone). Everything else, from a
    reset connection to a proxy's HTML page, an unknown code or a revoked token, is
    temporary: the message goes out once the API answers properly again.
    """
    if not isinstance(error, BotApiRefusedError):
        return SendResult(Outcome.RETRY, str(error))
    description = error.description
    lowered = description.lower()
    if error.code == 429:
        return SendResult(Outcome.WAIT, description, retry_after=float(error.retry_after or 1))
    if error.migrate_to_chat_id:
        moved = str(int(error.migrate_to_chat_id))
        return SendResult(Outcome.MOVED, description, new_address=moved, new_kind="supergroup")
    # 403: blocked, deactivated, kicked out of the group; 400: the chat no longer exists.
    if error.code == 403 or (error.code == 400 and any(m in lowered for m in _GONE_400)):
        return SendResult(Outcome.GONE, description)
    if error.code == 400:
        return SendResult(Outcome.FAILED, description)
    return SendResult(Outcome.RETRY, description)


def chat_of(recipient: Recipient) -> int | None:
    """Return a Telegram recipient's chat id (its address), or None if it has none."""
    try:
        return int(recipient.address) if recipient.address is not None else None
    except ValueError:
        return None


def is_group(recipient: Recipient, chat_id: int) -> bool:
    """Tell whether a chat is a group (its own, slower limit), by its kind or its id."""
    if recipient.kind is not None:
        return recipient.kind in ("group", "supergroup")
    return chat_id < 0


class TelegramChannel:
    """Send appeals to Telegram chats under the shared rate limiter (bulk priority)."""

    name = NAME
    renders: frozenset[type[Item]] = frozenset(
        {Publication, Reminder, Nudge, Review, ProgressMessage, SourceTrouble, AdminNotice}
    )
    can = frozenset({Can.EDIT, Can.THREAD, Can.REACH_ADMINS, Can.COUNT_PROTESTS})
    role: str | None = "telegram-sender"  # Telegram's limits are the bot's, not a process's
    gone = SubscriberState.BLOCKED

    def __init__(
        self,
        *,
        client: BotApiClient,
        limiter: FloodLimiter,
        presenter: Presenter,
        paid: bool = False,
        mirror: ChannelMirror | None = None,
    ) -> None:
        self._presenter = presenter
        self._client = client
        self._limiter = limiter
        self._paid = paid
        limits = limiter.limits
        # Many requests at once: the limiter paces them to the bot's budget.
        self.pace = Pace(limits.paid_rate if paid else limits.global_rate, concurrency=200)
        self.mirror = mirror or ChannelMirror(None)
        # Each message's JSON, encoded once for a whole broadcast; the chat id goes in front.
        self._bodies: dict[int, tuple[Message, bytes]] = {}

    async def mirrors(self) -> list[Mirror] | None:
        """The channel of APPEALBOT_TELEGRAM_CHANNEL, once the Bot API said its id (None
        while it cannot say)."""
        if not self.mirror.configured:
            return []
        if not await self.mirror.resolve(self._client.call) or self.mirror.chat_id is None:
            return None
        return [Mirror(address=str(self.mirror.chat_id), kind="channel")]

    def render(self, view: View, recipient: Recipient) -> Message | None:
        """Telegram's HTML with buttons, one message of at most 4,096 characters."""
        if isinstance(view, AppealNews):
            return self._presenter.telegram_news(view, in_channel=recipient.mirror)
        return self._presenter.telegram_admin(view) if self._for_admins(view) else None

    @staticmethod
    def _for_admins(
        view: View,
    ) -> TypeGuard[ReviewNews | ProgressNews | TroubleNews | AdminNews]:
        return isinstance(view, ReviewNews | ProgressNews | TroubleNews | AdminNews)

    async def start(self) -> None:
        await self._client.start()

    async def close(self) -> None:
        await self._client.close()

    async def wait_turn(self, recipient: Recipient) -> Turn:
        chat_id = chat_of(recipient)
        if chat_id is None:
            return Turn()
        turn = await self._limiter.acquire_bulk(
            chat_id, is_group=is_group(recipient, chat_id), paid=self._paid
        )
        if turn.slot is None:
            return Turn(busy=turn.busy)
        return Turn(release=turn.slot.release)

    async def send(self, recipient: Recipient, message: Message) -> SendResult:
        chat_id = chat_of(recipient)
        if chat_id is None:
            return SendResult(Outcome.GONE, "no chat id")
        body = b'{"chat_id":%d,' % chat_id
        if recipient.reply_to is not None and recipient.reply_to.isdigit():
            # In the channel, an update or outcome answers the appeal's own post.
            reply = {"message_id": int(recipient.reply_to), "allow_sending_without_reply": True}
            body += b'"reply_parameters":%s,' % json.dumps(reply).encode()
        body += self._body(message)
        try:
            sent = await self._client.call_raw("sendMessage", body)
        except BotApiError as exc:
            result = classify(exc)
            if result.outcome is Outcome.WAIT:
                self._limiter.told_to_wait(chat_id, result.retry_after or 1.0)
            return result
        message_id = sent.get("message_id") if isinstance(sent, dict) else None
        return SendResult(
            Outcome.SENT, external_id=str(message_id) if isinstance(message_id, int) else None
        )

    def _body(self, message: Message) -> bytes:
        """Return the message's sendMessage fields as JSON, without the opening brace."""
        known = self._bodies.get(id(message))
        if known is not None and known[0] is message:
            return known[1]
        fields: dict[str, Any] = {
            "text": message.html or message.text,
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
            **message.extra,
        }
        if self._paid:
            fields["allow_paid_broadcast"] = True
        encoded = json.dumps(fields).encode()[1:]
        if len(self._bodies) > 256:
            self._bodies.clear()
        self._bodies[id(message)] = (message, encoded)
        return encoded


@dataclass(frozen=True, slots=True)
class TheBot:
    """What the channel shares with the bot's replies: one token, one budget."""

    api: BotApiClient | None  # the Bot API client (None: no token)
    limiter: FloodLimiter  # Telegram's limits, kept together with the replies
    mirror: ChannelMirror  # the Telegram channel everything is posted to, if any


def build(settings: TelegramSettings, parts: Parts, *, bot: TheBot) -> TelegramChannel | None:
    """Return the Telegram channel, if a bot token is configured."""
    if bot.api is None:
        return None
    return TelegramChannel(
        client=bot.api,
        limiter=bot.limiter,
        presenter=parts.presenter,
        paid=settings.telegram_paid_broadcast,
        mirror=bot.mirror,
    )
