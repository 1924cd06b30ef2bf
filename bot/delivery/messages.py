"""What an appeal looks like on each channel, rendered once per process for a whole broadcast."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from bot.delivery.channels import Message
from storage.database import Database
from storage.enums import Channel, DeliveryPurpose
from storage.models import Appeal
from storage.repo.appeals import get_appeal, get_channel_post
from storage.types import utcnow

Render = Callable[[Appeal, Channel, DeliveryPurpose, str, bool, str], Message | None]
"""Render an appeal for a channel, purpose, notice, lateness and reader's language (by the
presentation layer); None when there is nothing to say (a reminder of an event no longer in
the appeal)."""


class MessageCache:
    """Rendered broadcasts by appeal, channel, purpose and language: each is rendered once."""

    def __init__(
        self,
        render: Render,
        db: Database,
        *,
        prepare: Callable[[], None] = lambda: None,
        day: Callable[[], date] = lambda: utcnow().date(),
    ) -> None:
        self._render = render
        self._db = db
        self._prepare = prepare
        self._day = day
        self._rendered_on: date | None = None
        self._cache: dict[tuple[int, Channel, DeliveryPurpose, str, bool, str], Message | None] = {}

    def prepare(self) -> None:
        """Get ready to render (compile templates), so the first message is not held up."""
        self._prepare()

    async def get(
        self,
        appeal_id: int,
        channel: Channel,
        purpose: DeliveryPurpose = DeliveryPurpose.APPEAL,
        *,
        notice: str = "",
        late: bool = False,
        language: str = "en",
    ) -> Message | None:
        """Return the message for an appeal on a channel (None if the appeal is gone)."""
        today = self._day()
        if today != self._rendered_on:
            # A new day: countdowns ("3 days left") and standings move on.
            self._cache.clear()
            self._rendered_on = today
        key = (appeal_id, channel, purpose, notice, late, language)
        if key not in self._cache:
            async with self._db.read() as session:
                appeal = await get_appeal(session, appeal_id)
                parent_post = (
                    await get_channel_post(session, appeal.parent_id)
                    if appeal is not None and purpose is DeliveryPurpose.CHANNEL
                    else None
                )
            message = (
                None
                if appeal is None
                else self._render(appeal, channel, purpose, notice, late, language)
            )
            if message is not None and parent_post is not None:
                # In the channel, an update or outcome answers the appeal's own post.
                reply = {"message_id": parent_post, "allow_sending_without_reply": True}
                message = replace(message, extra={**message.extra, "reply_parameters": reply})
            self._cache[key] = message
        return self._cache[key]

    def forget(self, appeal_id: int) -> None:
        """Drop an appeal's rendered messages (after it was edited or withdrawn)."""
        for key in [key for key in self._cache if key[0] == appeal_id]:
            del self._cache[key]
