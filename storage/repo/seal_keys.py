"""Which keys sealed the addresses, and the work of sealing them again: the first sealing
of a database that held them in the clear, a rotation, and what a destroyed key leaves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, TextClause, bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.enums import SubscriberState
from storage.models import Delivery, SealKey, Subscriber
from storage.sealed import sealed_columns, sealer_of

SEALED_TABLES = (Subscriber, Delivery)


@dataclass(frozen=True, slots=True)
class KeyState:
    """A key as the database knows it: its id and dates."""

    id: int
    added_at: datetime
    retired_at: datetime | None
    destroyed_at: datetime | None

    @property
    def live(self) -> bool:
        """Tell whether addresses may still be sealed with it."""
        return self.retired_at is None and self.destroyed_at is None


async def lock_keys(session: AsyncSession) -> None:
    """Let one process at a time decide which key a database is sealed with (SQLite's
    write transactions are one at a time already)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("LOCK TABLE seal_keys IN EXCLUSIVE MODE"))


async def known_keys(session: AsyncSession) -> list[KeyState]:
    """Return every key this database has been sealed with, oldest first."""
    rows = await session.scalars(select(SealKey).order_by(SealKey.added_at, SealKey.id))
    return [KeyState(row.id, row.added_at, row.retired_at, row.destroyed_at) for row in rows]


async def register_key(session: AsyncSession, key_id: int, now: datetime) -> bool:
    """Record a key as in use; return whether it was new."""
    row = await session.get(SealKey, key_id)
    if row is not None:
        return False
    session.add(SealKey(id=key_id, added_at=now))
    await session.flush()
    return True


async def mark_keys(
    session: AsyncSession, key_ids: Sequence[int], now: datetime, *, destroyed: bool
) -> None:
    """Record keys as retired by a rotation, or destroyed."""
    column = "destroyed_at" if destroyed else "retired_at"
    await session.execute(
        update(SealKey)
        .where(SealKey.id.in_(list(key_ids)))
        .values({column: now})
        .execution_options(synchronize_session=False)
    )


async def seal_clear(session: AsyncSession, *, batch: int) -> int:
    """Seal up to ``batch`` addresses still in the clear (a database from before sealing);
    return how many. The clear column only exists between migrations 0016 and 0017."""
    done = 0
    for table in ("subscribers", "deliveries"):
        rows = (await session.execute(select_clear(table, batch - done))).all()
        for row_id, channel, address in rows:
            values = sealed_columns(session, str(channel), str(address))
            await session.execute(
                update_clear(table),
                {"row_id": row_id, **values},
            )
        done += len(rows)
        if done >= batch:
            break
    return done


def select_clear(table: str, limit: int) -> TextClause:
    """Select rows of a table whose address is still in the clear."""
    return text(
        f"SELECT id, channel, address FROM {table} "
        "WHERE address IS NOT NULL ORDER BY id LIMIT :limit"
    ).bindparams(limit=limit)


def update_clear(table: str) -> TextClause:
    """Store a row's address sealed, and blank its clear one."""
    return text(
        f"UPDATE {table} SET address = NULL, address_sealed = :address_sealed, "
        "address_hash = :address_hash, sealed_with = :sealed_with WHERE id = :row_id"
    )


async def reseal(session: AsyncSession, *, batch: int) -> int:
    """Seal up to ``batch`` addresses sealed with an older key again with the current one;
    return how many (0: none left). An address whose key is not in the ring stays."""
    sealer = sealer_of(session)
    ring = sealer.ring
    older = [key.id for key in ring.retiring]
    if not older:
        return 0
    done = 0
    for model in SEALED_TABLES:
        rows = (
            await session.execute(
                select(model.id, model.channel, model.address_sealed, model.sealed_with)
                .where(model.sealed_with.in_(older))
                .order_by(model.id)
                .limit(batch - done)
                .with_for_update(skip_locked=True)
            )
        ).all()
        changes = []
        for row_id, channel, sealed, key_id in rows:
            address = sealer.open(str(channel), sealed)
            if address is not None:
                changes.append(
                    {"row_id": row_id, "old_key": key_id, **_sealed(session, channel, address)}
                )
        if changes:
            # Only if nobody changed it meanwhile (a move, a retirement): else it is theirs.
            table = cast(Table, model.__table__)
            unchanged = table.c.sealed_with == bindparam("old_key")
            await session.execute(
                update(table)
                .where(table.c.id == bindparam("row_id"), unchanged)
                .values(
                    address_sealed=bindparam("new_sealed"),
                    address_hash=bindparam("new_hash"),
                    sealed_with=bindparam("new_key"),
                ),
                changes,
            )
        done += len(rows)
        if done >= batch:
            break
    return done


def _sealed(session: AsyncSession, channel: object, address: str) -> dict[str, object]:
    values = sealed_columns(session, str(channel), address)
    return {
        "new_sealed": values["address_sealed"],
        "new_hash": values["address_hash"],
        "new_key": values["sealed_with"],
    }


async def sealed_with_counts(session: AsyncSession) -> dict[int, int]:
    """Count the addresses each key has sealed (subscribers and deliveries)."""
    counts: dict[int, int] = {}
    for model in SEALED_TABLES:
        statement = (
            select(model.sealed_with, func.count())
            .where(model.address_sealed.is_not(None))
            .group_by(model.sealed_with)
        )
        for key_id, count in await session.execute(statement):
            if key_id is not None:
                counts[int(key_id)] = counts.get(int(key_id), 0) + int(count)
    return counts


async def lose(session: AsyncSession, key_ids: Sequence[int], *, batch: int) -> int:
    """Blank up to ``batch`` addresses sealed with destroyed keys (the subscribers become
    ``lost``, a count); return how many."""
    ids = list(key_ids)
    blank: dict[str, object] = {"address_sealed": None, "address_hash": None}
    lost = {**blank, "state": SubscriberState.LOST, "confirm_token": None}
    done = 0
    for model, values in ((Subscriber, lost), (Delivery, blank)):
        found = list(
            await session.scalars(
                select(model.id)
                .where(model.sealed_with.in_(ids), model.address_sealed.is_not(None))
                .limit(batch)
            )
        )
        if found:
            await session.execute(
                update(model)
                .where(model.id.in_(found))
                .values(values)
                .execution_options(synchronize_session=False)
            )
        done += len(found)
    return done


async def count_lost(session: AsyncSession) -> int:
    """Count the subscribers a destroyed key took away."""
    found = await session.scalar(
        select(func.count()).select_from(Subscriber).where(Subscriber.state == SubscriberState.LOST)
    )
    return int(found or 0)
