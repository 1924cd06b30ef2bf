"""Delivery workers: register, beat, and free the claims of those that stopped beating."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.enums import DeliveryState
from storage.models import Delivery, Lease, Worker


async def register(session: AsyncSession, *, worker_id: str, name: str, now: datetime) -> None:
    """Record a worker that starts sending."""
    session.add(Worker(id=worker_id, name=name[:120], started_at=now, heartbeat_at=now))
    await session.flush()


async def beat(
    session: AsyncSession, *, worker_id: str, name: str, now: datetime, lease_until: datetime
) -> None:
    """Say this worker is alive, and keep the deliveries it holds from being taken.

    A worker that was thought dead (it froze for a while) is recorded again.
    """
    updated = await session.execute(
        update(Worker)
        .where(Worker.id == worker_id)
        .values(heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(updated, "rowcount", 0):
        await register(session, worker_id=worker_id, name=name, now=now)
    await session.execute(
        update(Delivery)
        .where(Delivery.claimed_by == worker_id, Delivery.state == DeliveryState.SENDING)
        .values(lease_until=lease_until)
        .execution_options(synchronize_session=False)
    )


async def reap(session: AsyncSession, *, now: datetime, stale_before: datetime) -> int:
    """Free the deliveries of workers that stopped beating; return how many were freed."""
    dead = list(
        (await session.scalars(select(Worker.id).where(Worker.heartbeat_at < stale_before))).all()
    )
    if not dead:
        return 0
    freed = await session.execute(
        update(Delivery)
        .where(Delivery.claimed_by.in_(dead), Delivery.state == DeliveryState.SENDING)
        .values(lease_until=now)
        .execution_options(synchronize_session=False)
    )
    await session.execute(delete(Worker).where(Worker.id.in_(dead)))
    return int(getattr(freed, "rowcount", 0) or 0)


async def deregister(session: AsyncSession, *, worker_id: str) -> None:
    """Forget a worker that stopped cleanly."""
    await session.execute(delete(Worker).where(Worker.id == worker_id))


async def hold_lease(
    session: AsyncSession, *, name: str, holder: str, now: datetime, until: datetime
) -> bool:
    """Take or renew a role; return whether ``holder`` has it until ``until``.

    It is taken only from nobody, or from a holder whose lease ran out; on PostgreSQL the
    row lock makes two takers wait for each other, so exactly one wins.
    """
    taken = await session.execute(
        update(Lease)
        .where(Lease.name == name, or_(Lease.holder == holder, Lease.until < now))
        .values(holder=holder, until=until)
        .execution_options(synchronize_session=False)
    )
    if getattr(taken, "rowcount", 0):
        return True
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    await session.execute(
        module.insert(Lease)
        .values(name=name, holder=holder, until=until)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    current = await session.scalar(select(Lease.holder).where(Lease.name == name))
    return current == holder


async def give_up_lease(session: AsyncSession, *, name: str, holder: str, now: datetime) -> None:
    """Let another process take a role at once (a clean stop)."""
    await session.execute(
        update(Lease)
        .where(Lease.name == name, Lease.holder == holder)
        .values(until=now)
        .execution_options(synchronize_session=False)
    )
