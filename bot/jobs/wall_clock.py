"""The repeating jobs through a step of the wall clock.

PTB's JobQueue (APScheduler) sleeps until each job's next run on the wall clock: set back an
hour (NTP, an operator), every repeating job would wait an hour more; set forward, it would
run late ones at once. Watched on the monotonic clock, a step moves every job's next run by
as much, so that each keeps its distance in real time. Reminders and digests are still
worked out on the calendar by the jobs themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from telegram.ext import JobQueue

from bot.context import Context

log = logging.getLogger(__name__)

Seconds = Callable[[], float]


class WallClockWatch:
    """Notice a step of the wall clock and move the jobs' next runs with it."""

    def __init__(
        self,
        job_queue: JobQueue[Context],
        *,
        wall: Seconds = time.time,
        monotonic: Seconds = time.monotonic,
        tolerance: float = 2.0,
    ) -> None:
        self._jobs = job_queue
        self._wall = wall
        self._monotonic = monotonic
        self._tolerance = tolerance
        self._seen = (wall(), monotonic())

    def check(self) -> float:
        """Compare the wall clock with the monotonic one since the last look; if it stepped,
        move every job's next run by the step. Return the step in seconds (0: none)."""
        wall, monotonic = self._wall(), self._monotonic()
        step = (wall - self._seen[0]) - (monotonic - self._seen[1])
        self._seen = (wall, monotonic)
        if abs(step) <= self._tolerance:
            return 0.0
        for job in self._jobs.jobs():
            next_run = job.job.next_run_time
            if next_run is not None:
                job.job.modify(next_run_time=next_run + timedelta(seconds=step))
        self._jobs.scheduler.wakeup()
        log.warning(
            "the wall clock jumped %+.0f s (NTP or an operator): the repeating jobs keep their "
            "pace",
            step,
        )
        return step

    async def run(self, stop: asyncio.Event, *, every: float = 5.0) -> None:
        """Look every ``every`` seconds (of the event loop's monotonic time) until ``stop``."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)
            if not stop.is_set():
                self.check()
