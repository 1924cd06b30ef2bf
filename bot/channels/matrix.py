"""Matrix rooms: every published appeal posted to each room in APPEALBOT_MATRIX_ROOMS as the
bot user, updates and outcomes as replies in the appeal's thread (matrix-nio).

The homeserver's limits are kept: M_LIMIT_EXCEEDED waits its retry_after_ms, using no attempt;
a homeserver that cannot be reached is waited out like a relay that is down; a room the bot
was removed from (M_FORBIDDEN) is gone, and no longer tried. The transaction id is the
message's own, so a send repeated after a crash is the same event, not a second one.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from typing import Annotated, Any

from aiohttp import ClientError
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinError,
    RoomResolveAliasError,
    RoomSendError,
    RoomSendResponse,
)
from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from bot.channels import Parts
from bot.delivery.channels import Can, Message, Mirror, Outcome, Pace, SendResult, Turn
from bot.presentation.news import AppealNews, View
from bot.presentation.render import Presenter, as_text
from storage.enums import SubscriberState
from storage.items import Item, Nudge, Publication, Reminder
from storage.repo.deliveries import Recipient

log = logging.getLogger(__name__)
DOWN_WAIT = 10.0  # a homeserver that cannot be reached is asked again after this long
GONE_CODES = ("M_FORBIDDEN", "M_NOT_FOUND")
JOIN_TRIES = 5


class MatrixSettings(BaseModel):
    """The rooms every published appeal is posted to (ids or aliases, comma-separated), as
    this user on this homeserver with this access token (off: any of them unset)."""

    matrix_homeserver: str | None = None
    matrix_user: str | None = None
    matrix_access_token: SecretStr | None = None
    matrix_rooms: Annotated[tuple[str, ...], NoDecode] = ()
    # While the homeserver cannot be reached: how long a post waits before the next try.
    matrix_down_wait_seconds: float = Field(default=10.0, gt=0, le=3600)

    @field_validator("matrix_rooms", mode="before")
    @classmethod
    def _split_rooms(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            for part in value:
                # Room ids of room version 12 have no server part: "!abc…".
                if not re.fullmatch(r"![^\s,]+|#[^:\s,]+:[^\s,]+", str(part)):
                    raise ValueError(f"{part!r} is not a room id (!…) or alias (#…:server)")
            return tuple(str(part) for part in value)
        return value


class MatrixChannel:
    """Post to the configured rooms as one bot user."""

    name = "matrix"
    renders: frozenset[type[Item]] = frozenset({Publication, Reminder, Nudge})
    can = frozenset({Can.THREAD})  # updates and outcomes answer the appeal's post
    # The homeserver limits the bot user, not a process: one worker at a time posts.
    role: str | None = "matrix"
    gone = SubscriberState.BLOCKED
    # A few rooms, posted to one at a time: the homeserver limits the bot user, and an
    # appeal's thread needs its first post before the replies.
    pace = Pace(rate=5.0, concurrency=1)

    def __init__(
        self,
        homeserver: str,
        user: str,
        token: str,
        rooms: tuple[str, ...],
        *,
        presenter: Presenter,
        down_wait: float = DOWN_WAIT,
    ) -> None:
        self._presenter = presenter
        self._homeserver = homeserver
        self._user = user
        self._token = token
        self._rooms = rooms
        self._down_wait = down_wait
        self._client: AsyncClient | None = None

    def render(self, view: View, recipient: Recipient) -> Message | None:
        """Plain text and simple HTML: a broadcast's words, without Telegram's buttons."""
        if not isinstance(view, AppealNews):
            return None
        message = self._presenter.telegram_news(view, in_channel=recipient.mirror)
        return None if message is None else as_text(message)

    def _connected(self) -> AsyncClient:
        if self._client is None:
            # No retries inside the client: the outbox waits, and says why.
            config = AsyncClientConfig(max_limit_exceeded=0, max_timeouts=0, request_timeout=15)
            client = AsyncClient(self._homeserver, self._user, config=config)
            client.access_token = self._token
            client.user_id = self._user
            self._client = client
        return self._client

    async def mirrors(self) -> list[Mirror] | None:
        """Join the configured rooms (by id or alias; a private room must have invited the
        bot); None while the homeserver cannot be reached."""
        client = self._connected()
        found: list[Mirror] = []
        try:
            for room in self._rooms:
                room_id = room
                if room.startswith("#"):
                    resolved = await client.room_resolve_alias(room)
                    if isinstance(resolved, RoomResolveAliasError):
                        log.warning("matrix: no room is called %s (%s)", room, resolved.message)
                        continue
                    room_id = resolved.room_id
                joined = await client.join(room_id)
                for _ in range(JOIN_TRIES):
                    if not (
                        isinstance(joined, JoinError) and joined.status_code == "M_LIMIT_EXCEEDED"
                    ):
                        break
                    # A join is an event too: the homeserver's limit is kept here as well.
                    await asyncio.sleep(min((joined.retry_after_ms or 1000) / 1000, 30.0))
                    joined = await client.join(room_id)
                if isinstance(joined, JoinError):
                    # Not invited, or banned: posting would be refused. Said, not fatal.
                    log.warning("matrix: cannot join %s (%s)", room, joined.message)
                    continue
                found.append(Mirror(address=room_id, kind="room"))
        except (ClientError, TimeoutError, OSError):
            log.warning("matrix: the homeserver cannot be reached; rooms are left as they are")
            return None
        return found

    async def start(self) -> None:
        self._connected()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def wait_turn(self, recipient: Recipient) -> Turn:
        return Turn()

    async def send(self, recipient: Recipient, message: Message) -> SendResult:
        if recipient.address is None:
            return SendResult(Outcome.SKIP)
        content: dict[str, Any] = {"msgtype": "m.text", "body": message.text}
        if message.html:
            content |= {"format": "org.matrix.custom.html", "formatted_body": message.html}
        if recipient.reply_to:
            content["m.relates_to"] = {
                "rel_type": "m.thread",
                "event_id": recipient.reply_to,
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": recipient.reply_to},
            }
        # The same message to the same room is the same transaction: sent once.
        txn = hashlib.sha256(f"{recipient.address}\n{message.text}".encode()).hexdigest()[:32]
        try:
            answer = await self._connected().room_send(
                recipient.address,
                "m.room.message",
                content,
                tx_id=txn,
                ignore_unverified_devices=True,
            )
        except (ClientError, TimeoutError, OSError) as exc:
            return SendResult(
                Outcome.WAIT, f"matrix: {type(exc).__name__}", retry_after=self._down_wait
            )
        if isinstance(answer, RoomSendResponse):
            return SendResult(Outcome.SENT, external_id=answer.event_id)
        assert isinstance(answer, RoomSendError)
        return outcome(answer.status_code, answer.message, answer.retry_after_ms)


def outcome(code: str | None, text: str, retry_after_ms: int | None) -> SendResult:
    """Say what a homeserver's refusal means for the message."""
    if code == "M_LIMIT_EXCEEDED":
        return SendResult(Outcome.WAIT, "matrix: M_LIMIT_EXCEEDED", (retry_after_ms or 5000) / 1000)
    if code in GONE_CODES:
        return SendResult(Outcome.GONE, f"matrix: {code}: {text}")
    if code == "M_UNKNOWN_TOKEN":
        # The access token was revoked: nothing will go until the operator sets a new one.
        return SendResult(Outcome.WAIT, "matrix: M_UNKNOWN_TOKEN", retry_after=300.0)
    return SendResult(Outcome.FAILED, f"matrix: {code}: {text}")


def build(settings: MatrixSettings, parts: Parts) -> MatrixChannel | None:
    """Return the Matrix channel, if a homeserver, user, token and rooms are configured."""
    token = settings.matrix_access_token
    if not (
        settings.matrix_homeserver and settings.matrix_user and token and settings.matrix_rooms
    ):
        return None
    return MatrixChannel(
        settings.matrix_homeserver,
        settings.matrix_user,
        token.get_secret_value(),
        settings.matrix_rooms,
        presenter=parts.presenter,
        down_wait=settings.matrix_down_wait_seconds,
    )
