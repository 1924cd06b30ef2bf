"""Broadcasts under way: which are running, how far each has got, where progress is shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.delivery.figures import Progress, RateMeter, measure
from bot.services.mirrors import mirror_where
from core.timing import Clock
from storage.database import Database
from storage.enums import DeliveryState, SubscriberState
from storage.models import Appeal, Broadcast
from storage.repo.broadcasts import progress_post, unfinished
from storage.repo.deliveries import state_counts
from storage.repo.stats import mirror_deliveries


@dataclass(frozen=True, slots=True)
class Running:
    """A broadcast still going out, and the message its progress is shown in."""

    id: int
    appeal_id: int
    title: str
    chat_id: int | None
    message_id: int | None  # the progress message, once it went out (edited from then)
    started_at: datetime
    language: str = "en"  # of the admin who follows it
    waiting: bool = False  # the progress message has not gone out yet: show nothing now


@dataclass(frozen=True, slots=True)
class MirrorShown:
    """How a broadcast went to one mirror."""

    channel: str
    where: str
    state: DeliveryState
    lost: bool  # the mirror refused for good (the bot was removed): no longer posted to


class BroadcastService:
    """Follow broadcasts for the progress messages admins see."""

    def __init__(self, db: Database, *, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def running(self) -> list[Running]:
        """Return the broadcasts not yet finished, oldest first."""
        async with self._db.read() as session:
            found = []
            for broadcast in await unfinished(session):
                appeal = await session.get(Appeal, broadcast.appeal_id)
                chat_id = broadcast.progress_chat_id
                state, post = (
                    await progress_post(session, broadcast.id)
                    if chat_id is not None
                    else (DeliveryState.SKIPPED, None)
                )
                found.append(
                    Running(
                        id=broadcast.id,
                        appeal_id=broadcast.appeal_id,
                        title=appeal.title if appeal else "",
                        chat_id=chat_id,
                        message_id=int(post) if post and post.isdigit() else None,
                        started_at=broadcast.started_at,
                        language=broadcast.progress_language,
                        waiting=state in (DeliveryState.PENDING, DeliveryState.SENDING),
                    )
                )
            return found

    async def progress(self, appeal_id: int, meter: RateMeter, *, started: float) -> Progress:
        """Count how far an appeal's broadcast has got."""
        return await measure(self._db, appeal_id, meter, started=started)

    async def mirrors(self, appeal_id: int) -> list[MirrorShown]:
        """Return how an appeal went to each mirror (a channel post, a room, a receiver)."""
        async with self._db.read() as session:
            rows = await mirror_deliveries(session, appeal_id)
        return [
            MirrorShown(
                channel, mirror_where(address), delivery, lost=state is not SubscriberState.ACTIVE
            )
            for channel, address, state, delivery in rows
        ]

    async def finished(self, broadcast_id: int) -> bool:
        """Mark a broadcast as finished unless deliveries were queued again; say if it was."""
        async with self._db.unit() as unit:
            broadcast = await unit.session.get(Broadcast, broadcast_id)
            if broadcast is None:
                return True
            # A retry may have queued failed rows again since the summary was counted.
            counts = await state_counts(unit.session, broadcast.appeal_id)
            if counts.get(DeliveryState.PENDING, 0) or counts.get(DeliveryState.SENDING, 0):
                return False
            if broadcast.finished_at is None:
                broadcast.finished_at = self._clock()
            return True
