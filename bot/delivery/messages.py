"""What an appeal looks like on each channel, rendered once per process for a whole broadcast."""

from __future__ import annotations

from collections.abc import Callable

from bot.delivery.channels import Message
from storage.database import Database
from storage.enums import Channel, DeliveryPurpose
from storage.models import Appeal
from storage.repo.appeals import get_appeal

Render = Callable[[Appeal, Channel, DeliveryPurpose], Message]
"""Render an appeal for a channel and purpose (given by the presentation layer)."""


class MessageCache:
    """Rendered broadcasts by appeal, channel and purpose: each is rendered once."""

    def __init__(self, render: Render, db: Database) -> None:
        self._render = render
        self._db = db
        self._cache: dict[tuple[int, Channel, DeliveryPurpose], Message | None] = {}

    async def get(
        self, appeal_id: int, channel: Channel, purpose: DeliveryPurpose = DeliveryPurpose.APPEAL
    ) -> Message | None:
        """Return the message for an appeal on a channel (None if the appeal is gone)."""
        key = (appeal_id, channel, purpose)
        if key not in self._cache:
            async with self._db.read() as session:
                appeal = await get_appeal(session, appeal_id)
            self._cache[key] = None if appeal is None else self._render(appeal, channel, purpose)
        return self._cache[key]

    def forget(self, appeal_id: int) -> None:
        """Drop an appeal's rendered messages (after it was edited or withdrawn)."""
        for key in [key for key in self._cache if key[0] == appeal_id]:
            del self._cache[key]
