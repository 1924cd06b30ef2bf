"""The live progress message an admin sees while their broadcast goes out."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.delivery.progress import Progress, RateMeter, duration, measure
from storage.models import Appeal, Broadcast
from storage.repo.broadcasts import unfinished
from storage.types import utcnow
from templates import Templates

log = logging.getLogger(__name__)


@dataclass
class _Shown:
    meter: RateMeter = field(default_factory=RateMeter)
    started: float = field(default_factory=time.monotonic)
    text: str = ""


Buttons = Callable[[Progress], InlineKeyboardMarkup | None]


def no_buttons(_progress: Progress) -> None:
    """Show a progress message without buttons."""


class ProgressReporter:
    """Send, then edit every few seconds, one progress message per broadcast."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        reads: async_sessionmaker[AsyncSession],
        templates: Templates,
        buttons: Buttons = no_buttons,
    ) -> None:
        self._sessions = sessions
        self._reads = reads
        self._templates = templates
        self._buttons = buttons
        self._shown: dict[int, _Shown] = {}

    async def tick(self, bot: Bot) -> list[Progress]:
        """Update every unfinished broadcast; mark the finished ones; return what was shown."""
        async with self._reads() as session:
            broadcasts = await unfinished(session)
            titles = {b.id: (await session.get(Appeal, b.appeal_id)) for b in broadcasts}
        shown = []
        for broadcast in broadcasts:
            appeal = titles[broadcast.id]
            state = self._shown.setdefault(broadcast.id, _Shown())
            progress = await measure(
                self._reads, broadcast.appeal_id, state.meter, started=state.started
            )
            shown.append(progress)
            if broadcast.progress_chat_id is not None:
                await self._show(bot, broadcast, progress, appeal.title if appeal else "", state)
            if progress.finished:
                await self._finish(broadcast)
                self._shown.pop(broadcast.id, None)
        return shown

    async def _show(
        self, bot: Bot, broadcast: Broadcast, progress: Progress, title: str, state: _Shown
    ) -> None:
        took = (utcnow() - broadcast.started_at).total_seconds()
        [text] = self._templates.telegram(
            "progress",
            progress=progress,
            title=title,
            eta=duration(progress.seconds_left),
            took=duration(took),
            average=f"{progress.done / took:.0f}" if took > 1 else "",
        )
        if text == state.text:
            return
        chat_id = broadcast.progress_chat_id
        assert chat_id is not None
        keyboard = self._buttons(progress)
        try:
            if broadcast.progress_message_id is None:
                message = await bot.send_message(
                    chat_id, text, parse_mode=ParseMode.HTML, reply_markup=keyboard
                )
                async with self._sessions.begin() as session:
                    stored = await session.get(Broadcast, broadcast.id)
                    if stored is not None:
                        stored.progress_message_id = message.message_id
            else:
                await bot.edit_message_text(
                    text,
                    chat_id=chat_id,
                    message_id=broadcast.progress_message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard,
                )
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                log.warning("could not update the progress message: %s", exc)
        except TelegramError as exc:
            log.warning("could not update the progress message: %s", exc)
            return
        state.text = text

    async def _finish(self, broadcast: Broadcast) -> None:
        async with self._sessions.begin() as session:
            stored = await session.get(Broadcast, broadcast.id)
            if stored is not None and stored.finished_at is None:
                stored.finished_at = utcnow()
