"""Broadcasts: one per published appeal, with where its progress is shown."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.enums import DeliveryState
from storage.items import ProgressMessage, store
from storage.models import Appeal, Broadcast, Delivery


async def get_for_appeal(session: AsyncSession, appeal_id: int) -> Broadcast | None:
    """Return the broadcast of an appeal."""
    statement = select(Broadcast).where(Broadcast.appeal_id == appeal_id)
    return (await session.scalars(statement)).one_or_none()


async def get_broadcast(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    """Return a broadcast by its id."""
    return await session.get(Broadcast, broadcast_id)


async def ensure_broadcast(
    session: AsyncSession,
    *,
    appeal_id: int,
    started_by: int | None,
    progress_chat_id: int | None,
    paid: bool,
    now: datetime,
    progress_language: str = "en",
) -> Broadcast:
    """Return the appeal's broadcast, creating it on first publication."""
    broadcast = await get_for_appeal(session, appeal_id)
    if broadcast is None:
        broadcast = Broadcast(
            appeal_id=appeal_id,
            started_by=started_by,
            progress_chat_id=progress_chat_id,
            progress_language=progress_language,
            paid=paid,
            started_at=now,
            total=0,
        )
        session.add(broadcast)
        await session.flush()
    return broadcast


async def unfinished(session: AsyncSession) -> list[Broadcast]:
    """Return broadcasts still going out, oldest first."""
    statement = (
        select(Broadcast).where(Broadcast.finished_at.is_(None)).order_by(Broadcast.started_at)
    )
    return list((await session.scalars(statement)).all())


async def reopen(session: AsyncSession, appeal_id: int) -> Broadcast | None:
    """Mark an appeal's broadcast as going out again (its progress is shown again)."""
    broadcast = await get_for_appeal(session, appeal_id)
    if broadcast is not None:
        broadcast.finished_at = None
        await session.flush()
    return broadcast


async def progress_heading(session: AsyncSession, broadcast_id: int) -> tuple[str, str] | None:
    """Return a broadcast's appeal title and the language its admin follows it in."""
    row = (
        await session.execute(
            select(Appeal.title, Broadcast.progress_language)
            .join(Appeal, Appeal.id == Broadcast.appeal_id)
            .where(Broadcast.id == broadcast_id)
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1])


async def progress_post(
    session: AsyncSession, broadcast_id: int
) -> tuple[DeliveryState, str | None]:
    """Return how the latest message showing a broadcast's progress went, and the id
    Telegram gave it (PENDING before it went; SKIPPED when there is none)."""
    stored = store(ProgressMessage(broadcast_id))
    row = (
        await session.execute(
            select(Delivery.state, Delivery.external_id)
            .where(
                Delivery.appeal_id.is_(None),
                Delivery.purpose == stored.purpose,
                Delivery.notice == stored.notice,
            )
            .order_by(Delivery.id.desc())
            .limit(1)
        )
    ).one_or_none()
    return (DeliveryState.SKIPPED, None) if row is None else (DeliveryState(row[0]), row[1])


async def broadcast_brief(session: AsyncSession, broadcast_id: int) -> tuple[int, str, int] | None:
    """Return a broadcast's appeal id, the appeal's title and how many it goes to."""
    row = (
        await session.execute(
            select(Broadcast.appeal_id, Appeal.title, Broadcast.total)
            .join(Appeal, Appeal.id == Broadcast.appeal_id)
            .where(Broadcast.id == broadcast_id)
        )
    ).one_or_none()
    return None if row is None else (int(row[0]), str(row[1]), int(row[2]))
