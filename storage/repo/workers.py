"""Delivery workers: register, beat, and free the claims of those that stopped beating.

Every time here is the database's (``db_now``): workers on machines whose clocks disagree
still agree on who is alive and whose lease ran out.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db_time import db_now, shifted
from storage.enums import DeliveryState
from storage.models import Delivery, Lease, Worker

CLOCK = "clock"  # a lease row that keeps the highest database time any worker has seen


async def settle_clock(session: AsyncSession, *, tolerance: float, gap: float) -> float:
    """Keep the highest database time seen, which some worker moves on every beat.

    If the database's clock went back (NTP, an operator) by more than ``tolerance`` seconds,
    move every time stored ahead of it back as far, once: rows due, leases, heartbeats. If
    it is more than ``gap`` seconds past the mark (a step forward, or every worker away for
    that long), move heartbeats and leases forward as far, so that no live worker is taken
    for dead (a dead one is found out a gap later). Return the step (negative: back).
    """
    now = await session.scalar(select(db_now()))
    mark = await session.scalar(select(Lease.until).where(Lease.name == CLOCK).with_for_update())
    assert now is not None
    if mark is None:
        dialect = session.get_bind().dialect.name
        module = postgresql if dialect == "postgresql" else sqlite
        await session.execute(
            module.insert(Lease)
            .values(name=CLOCK, holder="", until=db_now())
            .on_conflict_do_nothing(index_elements=["name"])
        )
        return 0.0
    step = (now - mark).total_seconds()
    if -tolerance <= step <= gap:
        await session.execute(
            update(Lease)
            .where(Lease.name == CLOCK, Lease.until < db_now())
            .values(until=db_now())
            .execution_options(synchronize_session=False)
        )
        return 0.0
    held = Delivery.state == DeliveryState.SENDING
    moves: tuple[tuple[Any, Any, Any], ...]
    if step < 0:
        # Back: what was stored ahead of the clock now moves back with it.
        waiting = Delivery.state.in_((DeliveryState.PENDING, DeliveryState.HELD))
        moves = (
            (Delivery, Delivery.next_attempt_at, and_(waiting, Delivery.next_attempt_at > now)),
            (Delivery, Delivery.lease_until, and_(held, Delivery.lease_until > now)),
            (Worker, Worker.heartbeat_at, Worker.heartbeat_at > now),
            (Lease, Lease.until, and_(Lease.name != CLOCK, Lease.until > now)),
        )
    else:
        # Forward: heartbeats and leases keep their age, so no one lapses at once.
        moves = (
            (Delivery, Delivery.lease_until, and_(held, Delivery.lease_until.is_not(None))),
            (Worker, Worker.heartbeat_at, true()),
            (Lease, Lease.until, Lease.name != CLOCK),
        )
    for model, column, which in moves:
        await session.execute(
            update(model)
            .where(which)
            .values({column: shifted(column, step)})
            .execution_options(synchronize_session=False)
        )
    await session.execute(
        update(Lease)
        .where(Lease.name == CLOCK)
        .values(until=db_now())
        .execution_options(synchronize_session=False)
    )
    return float(step)


async def register(session: AsyncSession, *, worker_id: str, name: str) -> None:
    """Record a worker that starts sending."""
    await session.execute(
        insert(Worker).values(
            id=worker_id, name=name[:120], started_at=db_now(), heartbeat_at=db_now()
        )
    )


async def beat(session: AsyncSession, *, worker_id: str, name: str, lease: float) -> set[int]:
    """Say this worker is alive, and keep the deliveries it holds from being taken for
    ``lease`` seconds more; return the ids of those it still holds.

    A worker that was thought dead (it froze for a while) is recorded again; what another
    worker took from it meanwhile is not among the ids.
    """
    updated = await session.execute(
        update(Worker)
        .where(Worker.id == worker_id)
        .values(heartbeat_at=db_now())
        .execution_options(synchronize_session=False)
    )
    if not getattr(updated, "rowcount", 0):
        await register(session, worker_id=worker_id, name=name)
    held = await session.scalars(
        update(Delivery)
        .where(Delivery.claimed_by == worker_id, Delivery.state == DeliveryState.SENDING)
        .values(lease_until=db_now(lease))
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    return set(held.all())


async def reap(session: AsyncSession, *, stale_after: float) -> int:
    """Free the deliveries of workers silent for ``stale_after`` seconds; return how many."""
    stale = Worker.heartbeat_at < db_now(-stale_after)
    dead = list((await session.scalars(select(Worker.id).where(stale))).all())
    if not dead:
        return 0
    freed = await session.execute(
        update(Delivery)
        .where(Delivery.claimed_by.in_(dead), Delivery.state == DeliveryState.SENDING)
        .values(lease_until=db_now())
        .execution_options(synchronize_session=False)
    )
    await session.execute(delete(Worker).where(Worker.id.in_(dead)))
    return int(getattr(freed, "rowcount", 0) or 0)


async def deregister(session: AsyncSession, *, worker_id: str) -> None:
    """Forget a worker that stopped cleanly."""
    await session.execute(delete(Worker).where(Worker.id == worker_id))


async def hold_lease(session: AsyncSession, *, name: str, holder: str, seconds: float) -> bool:
    """Take or renew a role for ``seconds``; return whether ``holder`` has it.

    It is taken only from nobody, or from a holder whose lease ran out; on PostgreSQL the
    row lock makes two takers wait for each other, so exactly one wins.
    """
    taken = await session.execute(
        update(Lease)
        .where(Lease.name == name, or_(Lease.holder == holder, Lease.until < db_now()))
        .values(holder=holder, until=db_now(seconds))
        .execution_options(synchronize_session=False)
    )
    if getattr(taken, "rowcount", 0):
        return True
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    await session.execute(
        module.insert(Lease)
        .values(name=name, holder=holder, until=db_now(seconds))
        .on_conflict_do_nothing(index_elements=["name"])
    )
    current = await session.scalar(select(Lease.holder).where(Lease.name == name))
    return current == holder


async def lease_holder(session: AsyncSession, name: str) -> str | None:
    """Return who holds a role now (None: nobody, or a lease that ran out)."""
    return await session.scalar(
        select(Lease.holder).where(Lease.name == name, Lease.until >= db_now())
    )


async def take_lease(
    session: AsyncSession, *, name: str, holder: str, taken_from: str, seconds: float
) -> bool:
    """Take a role from a holder known to be gone; return whether it was still theirs."""
    taken = await session.execute(
        update(Lease)
        .where(Lease.name == name, Lease.holder == taken_from)
        .values(holder=holder, until=db_now(seconds))
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(taken, "rowcount", 0))


async def give_up_lease(session: AsyncSession, *, name: str, holder: str) -> None:
    """Let another process take a role at once (a clean stop)."""
    await session.execute(
        update(Lease)
        .where(Lease.name == name, Lease.holder == holder)
        .values(until=db_now())
        .execution_options(synchronize_session=False)
    )
