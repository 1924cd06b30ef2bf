"""What operators watch: counts for /metrics (never who) and checks for /healthz."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from storage.database import Database
from storage.repo.stats import delivery_counts, ping, subscriber_counts


@dataclass(frozen=True, slots=True)
class Counts:
    """Deliveries and subscribers by channel and state, and the sends of this process."""

    deliveries: dict[tuple[str, str], int]
    subscribers: dict[tuple[str, str], int]
    sent_here: dict[str, int]  # outcomes recorded by this process's engine, by outcome

    @property
    def queue_depth(self) -> int:
        """Return how many deliveries wait to be sent or are being sent."""
        return sum(
            n for (_, state), n in self.deliveries.items() if state in ("pending", "sending")
        )


@dataclass(frozen=True, slots=True)
class Health:
    database: bool
    smtp: bool | None  # None: no email configured
    delivery: bool | None  # None: this process sends nothing

    @property
    def ok(self) -> bool:
        """Tell whether everything configured works."""
        return self.database and self.smtp is not False and self.delivery is not False


Probe = Callable[[], Awaitable[bool]]


class MonitoringService:
    """Gather counts and check what the service depends on."""

    def __init__(
        self,
        db: Database,
        *,
        smtp: Probe | None = None,
        delivery_alive: Callable[[], bool] | None = None,
        writes_ok: Callable[[], bool] | None = None,
        outcomes: Callable[[], dict[str, int]] = dict,
        cache_for: float = 15.0,
    ) -> None:
        self._db = db
        self._smtp = smtp
        self._delivery_alive = delivery_alive
        self._writes_ok = writes_ok  # this process's writes get through (its heartbeat's do)
        self._outcomes = outcomes
        self._cache_for = cache_for
        self._smtp_seen: tuple[float, bool] | None = None
        self._smtp_checking: asyncio.Task[bool] | None = None

    async def counts(self) -> Counts:
        """Count deliveries and subscribers."""
        async with self._db.read() as session:
            deliveries = await delivery_counts(session)
            subscribers = await subscriber_counts(session)
        return Counts(
            deliveries={(c, s.value): n for (c, s), n in deliveries.items()},
            subscribers={(c, s.value): n for (c, s), n in subscribers.items()},
            sent_here=dict(self._outcomes()),
        )

    async def health(self) -> Health:
        """Check the database (that it answers, and takes this process's writes), the SMTP
        relay (at most every few seconds) and delivery."""
        try:
            async with asyncio.timeout(5):
                async with self._db.read() as session:
                    await ping(session)
            database = self._writes_ok() if self._writes_ok is not None else True
        except Exception:
            database = False
        return Health(
            database=database,
            smtp=await self._smtp_ok() if self._smtp is not None else None,
            delivery=self._delivery_alive() if self._delivery_alive is not None else None,
        )

    async def _smtp_ok(self) -> bool:
        """Ask the relay at most once every ``cache_for`` seconds; requests that come while
        it is being asked share that one answer."""
        now = time.monotonic()
        if self._smtp_seen is not None and now - self._smtp_seen[0] < self._cache_for:
            return self._smtp_seen[1]
        if self._smtp_checking is None or self._smtp_checking.done():
            self._smtp_checking = asyncio.create_task(self._ask_smtp(), name="smtp-health")
        return await asyncio.shield(self._smtp_checking)

    async def _ask_smtp(self) -> bool:
        assert self._smtp is not None
        try:
            async with asyncio.timeout(5):
                ok = await self._smtp()
        except Exception:
            ok = False
        self._smtp_seen = (time.monotonic(), ok)
        return ok
