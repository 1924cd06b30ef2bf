"""The live progress message an admin sees while their broadcast goes out (a repeating job).

The message itself goes out through the outbox, like every message; this job edits it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.delivery.figures import Progress, RateMeter
from bot.presentation.keyboards import progress_keyboard
from bot.presentation.progress_words import duration
from bot.presentation.render import Presenter
from bot.services.broadcasts import BroadcastService, Running
from bot.telegram.flood import FloodStatus
from core.timing import Clock
from templates.i18n import speaking

log = logging.getLogger(__name__)


@dataclass
class _Shown:
    meter: RateMeter = field(default_factory=RateMeter)
    started: float = field(default_factory=time.monotonic)
    text: str = ""
    pauses: tuple[int, float] | None = None  # Telegram's pauses before this broadcast began


def no_limits() -> FloodStatus:
    """Report no limiter (a process that does not send to Telegram)."""
    return FloodStatus(rate=0.0, configured=0.0, pauses=0, paused_seconds=0.0)


class ProgressReporter:
    """Edit, every few seconds, each broadcast's progress message."""

    def __init__(
        self,
        *,
        broadcasts: BroadcastService,
        presenter: Presenter,
        clock: Clock,
        limits: Callable[[], FloodStatus] = no_limits,
        unwritable: Callable[[], bool] = lambda: False,
    ) -> None:
        self._clock = clock
        self._unwritable = unwritable  # the database takes no writes: sending has stopped
        self._broadcasts = broadcasts
        self._presenter = presenter
        self._limits = limits
        self._shown: dict[int, _Shown] = {}

    async def tick(self, bot: Bot) -> list[Progress]:
        """Update every unfinished broadcast; mark the finished ones; return what was shown."""
        shown = []
        for broadcast in await self._broadcasts.running():
            if broadcast.waiting:
                continue  # its message has not gone out yet: nothing to edit
            state = self._shown.setdefault(broadcast.id, _Shown())
            progress = await self._broadcasts.progress(
                broadcast.appeal_id, state.meter, started=state.started
            )
            shown.append(progress)
            if broadcast.message_id is not None and not await self._show(
                bot, broadcast, progress, state
            ):
                continue  # the summary did not get through: the next tick shows it
            if progress.finished and await self._broadcasts.finished(broadcast.id):
                self._shown.pop(broadcast.id, None)
        return shown

    async def _show(self, bot: Bot, broadcast: Running, progress: Progress, state: _Shown) -> bool:
        """Edit the progress message; False if Telegram did not take it (try again)."""
        with speaking(broadcast.language):
            return await self._show_in_language(bot, broadcast, progress, state)

    async def _show_in_language(
        self, bot: Bot, broadcast: Running, progress: Progress, state: _Shown
    ) -> bool:
        took = (self._clock() - broadcast.started_at).total_seconds()
        limits = self._limits()
        if state.pauses is None:
            state.pauses = (limits.pauses, limits.paused_seconds)
        [text] = self._presenter.telegram(
            "progress",
            progress=progress,
            title=broadcast.title,
            eta=duration(progress.seconds_left),
            took=duration(took),
            average=f"{progress.done / took:.0f}" if took > 1 else "",
            limit=limits,
            pauses=limits.pauses - state.pauses[0],
            paused=duration(limits.paused_seconds - state.pauses[1]),
            mirrors=await self._broadcasts.mirrors(broadcast.appeal_id),
            unwritable=self._unwritable(),
        )
        if text == state.text:
            return True
        try:
            await bot.edit_message_text(
                text,
                chat_id=broadcast.chat_id,
                message_id=broadcast.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=progress_keyboard(progress),
            )
        except (BadRequest, Forbidden) as exc:
            # The message is gone, or the admin blocked the bot: trying again would not help.
            if "not modified" not in str(exc).lower():
                log.warning("could not update the progress message: %s", exc)
        except TelegramError as exc:
            log.warning("could not update the progress message: %s", exc)
            return False
        state.text = text
        return True
