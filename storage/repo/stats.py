"""Figures for /stats and ``appealbot stats``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.enums import AppealStatus, DeliveryPurpose, DeliveryState, SubscriberState
from storage.models import Appeal, Broadcast, Delivery, Protest, Subscriber
from storage.sealed import opened


@dataclass(frozen=True, slots=True)
class BroadcastFigures:
    appeal_id: int
    title: str
    started_at: datetime
    finished_at: datetime | None
    sent: int
    failed: int
    gone: int
    left: int


async def subscriber_counts(session: AsyncSession) -> dict[tuple[str, SubscriberState], int]:
    """Count subscribers by channel (any channel's name) and state."""
    statement = select(Subscriber.channel, Subscriber.state, func.count()).group_by(
        Subscriber.channel, Subscriber.state
    )
    return {
        (str(row[0]), SubscriberState(row[1])): int(row[2])
        for row in await session.execute(statement)
    }


async def mirror_states(session: AsyncSession) -> list[tuple[str, str, SubscriberState]]:
    """Return every mirror (channel, address, state): where everything published goes."""
    statement = (
        select(Subscriber.channel, Subscriber.address_sealed, Subscriber.state)
        .where(Subscriber.mirror.is_(True))
        .order_by(Subscriber.channel, Subscriber.id)
    )
    return sorted(
        (str(row[0]), opened(session, str(row[0]), row[1]) or "?", SubscriberState(row[2]))
        for row in await session.execute(statement)
    )


async def mirror_deliveries(
    session: AsyncSession, appeal_id: int
) -> list[tuple[str, str, SubscriberState, DeliveryState]]:
    """Return how an appeal went to each mirror: (channel, address, mirror's state, the
    delivery's state)."""
    statement = (
        select(Subscriber.channel, Subscriber.address_sealed, Subscriber.state, Delivery.state)
        .join(Delivery, Delivery.subscriber_id == Subscriber.id)
        .where(
            Subscriber.mirror.is_(True),
            Delivery.appeal_id == appeal_id,
            Delivery.purpose == DeliveryPurpose.APPEAL,
        )
        .order_by(Subscriber.channel, Subscriber.id)
    )
    return sorted(
        (
            str(row[0]),
            opened(session, str(row[0]), row[1]) or "?",
            SubscriberState(row[2]),
            DeliveryState(row[3]),
        )
        for row in await session.execute(statement)
    )


async def appeal_counts(session: AsyncSession) -> dict[AppealStatus, int]:
    """Count appeals by status."""
    statement = select(Appeal.status, func.count()).group_by(Appeal.status)
    return {AppealStatus(row[0]): int(row[1]) for row in await session.execute(statement)}


async def protests_per_appeal(
    session: AsyncSession, *, limit: int = 10
) -> list[tuple[int, str, int]]:
    """Return (appeal id, title, protests) for the appeals with the most protests."""
    count = func.count(Protest.id).label("protests")
    statement = (
        select(Appeal.id, Appeal.title, count)
        .join(Protest, Protest.appeal_id == Appeal.id)
        .group_by(Appeal.id, Appeal.title)
        .order_by(count.desc(), Appeal.id.desc())
        .limit(limit)
    )
    return [(row[0], row[1], int(row[2])) for row in await session.execute(statement)]


async def recent_broadcasts(session: AsyncSession, *, limit: int = 5) -> list[BroadcastFigures]:
    """Return the latest broadcasts with their delivery figures."""
    broadcasts = (
        await session.execute(
            select(Broadcast, Appeal.title)
            .join(Appeal, Appeal.id == Broadcast.appeal_id)
            .order_by(Broadcast.started_at.desc(), Broadcast.id.desc())
            .limit(limit)
        )
    ).all()
    figures = []
    for broadcast, title in broadcasts:
        rows = await session.execute(
            select(Delivery.state, func.count())
            .where(Delivery.appeal_id == broadcast.appeal_id)
            .group_by(Delivery.state)
        )
        counts = {DeliveryState(row[0]): int(row[1]) for row in rows}
        figures.append(
            BroadcastFigures(
                appeal_id=broadcast.appeal_id,
                title=title,
                started_at=broadcast.started_at,
                finished_at=broadcast.finished_at,
                sent=counts.get(DeliveryState.SENT, 0),
                failed=counts.get(DeliveryState.FAILED, 0),
                gone=counts.get(DeliveryState.SKIPPED, 0),
                left=counts.get(DeliveryState.PENDING, 0) + counts.get(DeliveryState.SENDING, 0),
            )
        )
    return figures


async def delivery_counts(session: AsyncSession) -> dict[tuple[str, DeliveryState], int]:
    """Count deliveries by channel (any channel's name) and state."""
    statement = select(Delivery.channel, Delivery.state, func.count()).group_by(
        Delivery.channel, Delivery.state
    )
    return {
        (str(row[0]), DeliveryState(row[1])): int(row[2])
        for row in await session.execute(statement)
    }


async def ping(session: AsyncSession) -> None:
    """Ask the database something trivial (a health check)."""
    await session.execute(select(literal(1)))
