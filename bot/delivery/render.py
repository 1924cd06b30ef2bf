"""Render an appeal once per channel for a whole broadcast, short enough for one message."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.channels import Message
from bot.keyboards import appeal_keyboard
from storage.enums import Channel, DeliveryPurpose
from storage.models import Appeal
from storage.repo.appeals import get_appeal
from templates import Templates

SUMMARY_STEPS = (None, 2500, 1500, 800, 300)


def _shorten(text: str, limit: int | None, appeal_id: int) -> str:
    if limit is None or len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return f"{cut}… (the whole text: /appeal_{appeal_id})"


def telegram_message(templates: Templates, appeal: Appeal) -> Message:
    """Render the broadcast of an appeal as one Telegram message with its buttons."""
    keyboard = appeal_keyboard(appeal, with_cases=False).to_dict()
    for limit in SUMMARY_STEPS:
        summary = _shorten(appeal.summary, limit, appeal.id)
        parts = templates.telegram(
            "broadcast", appeal=appeal, summary=summary, demands=appeal.demands[:8]
        )
        if len(parts) == 1:
            return Message(text=parts[0], html=parts[0], extra={"reply_markup": keyboard})
    parts = templates.telegram("broadcast", appeal=appeal, summary="", demands=[])
    return Message(text=parts[0], html=parts[0], extra={"reply_markup": keyboard})


class MessageCache:
    """Rendered broadcasts by appeal and channel: each appeal is rendered once per process."""

    def __init__(self, templates: Templates, reads: async_sessionmaker[AsyncSession]) -> None:
        self._templates = templates
        self._reads = reads
        self._cache: dict[tuple[int, Channel, DeliveryPurpose], Message | None] = {}

    async def get(
        self, appeal_id: int, channel: Channel, purpose: DeliveryPurpose = DeliveryPurpose.APPEAL
    ) -> Message | None:
        """Return the message for an appeal on a channel (None if the appeal is gone)."""
        key = (appeal_id, channel, purpose)
        if key not in self._cache:
            async with self._reads() as session:
                appeal = await get_appeal(session, appeal_id)
            self._cache[key] = None if appeal is None else self._render(appeal, channel, purpose)
        return self._cache[key]

    def forget(self, appeal_id: int) -> None:
        """Drop an appeal's rendered messages (after it was edited or withdrawn)."""
        for key in [key for key in self._cache if key[0] == appeal_id]:
            del self._cache[key]

    def _render(self, appeal: Appeal, channel: Channel, purpose: DeliveryPurpose) -> Message:
        if channel is not Channel.TELEGRAM:
            raise ValueError(f"no renderer for channel {channel}")
        if purpose is DeliveryPurpose.THANKS:
            [text] = self._templates.telegram("thanks", appeal=appeal)
            return Message(text=text, html=text)
        return telegram_message(self._templates, appeal)
