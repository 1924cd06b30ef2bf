"""Units of work: a transaction that commits, then fires what must follow it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.errors import DatabaseUnwritableError
from core.sealing import Sealer
from storage.engine import create_read_sessionmaker, create_sessionmaker
from storage.sealed import SEALER

Effect = Callable[[], None]
_ERASED = "appealbot_erased"
# How SQLite and PostgreSQL say that nothing can be written (SQLITE_FULL, SQLITE_READONLY,
# SQLITE_IOERR; SQLSTATE 53100 disk_full, 25006 read_only_sql_transaction).
_UNWRITABLE = (
    "database or disk is full",
    "attempt to write a readonly database",
    "disk i/o error",
    "no space left on device",
    "read-only",
    "diskfullerror",
    "readonlysqltransactionerror",
)


def unwritable(error: BaseException) -> bool:
    """Tell whether an error says the database cannot be written (not a bug of ours)."""
    text = f"{type(getattr(error, 'orig', None)).__name__} {error}".lower()
    return isinstance(error, DBAPIError) and any(sign in text for sign in _UNWRITABLE)


def erased(session: AsyncSession) -> None:
    """Note that this transaction deletes someone's data: once it has committed, nothing of it
    may stay in the database's files (SQLite's write-ahead log is checkpointed and emptied)."""
    session.info[_ERASED] = True


@dataclass(slots=True)
class Unit:
    """One transaction's session, and the effects to fire once it has committed."""

    session: AsyncSession
    effects: list[Effect] = field(default_factory=list)

    def after_commit(self, effect: Effect) -> None:
        """Run ``effect`` once the transaction has committed (never if it rolls back)."""
        self.effects.append(effect)


class Database:
    """Where services get their sessions: units of work that write, and reads."""

    def __init__(self, engine: AsyncEngine, sealer: Sealer) -> None:
        self.engine = engine
        self.sealer = sealer
        self._writes = create_sessionmaker(engine, {SEALER: sealer})
        self._reads = create_read_sessionmaker(engine, {SEALER: sealer})

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[Unit]:
        """Open a transaction; commit when the block ends, then fire the unit's effects.

        A database that cannot be written (a full disk, a volume remounted read-only) is
        said as such: ``DatabaseUnwritableError``, with the driver's error as its cause.
        """
        try:
            async with self._writes.begin() as session:
                unit = Unit(session)
                yield unit
                erasing = session.info.pop(_ERASED, False)
        except DBAPIError as exc:
            if unwritable(exc):
                raise DatabaseUnwritableError(
                    "the database cannot be written (is its disk full, or read-only?)"
                ) from exc
            raise
        if erasing:
            await self.checkpoint()
        for effect in unit.effects:
            effect()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """Open a session that only reads (on SQLite it never waits for a writer)."""
        async with self._reads() as session:
            yield session

    async def checkpoint(self) -> None:
        """Move SQLite's write-ahead log into the database file and empty it, so that what was
        deleted (and overwritten there: secure_delete) is in neither; nothing on PostgreSQL."""
        if self.engine.dialect.name != "sqlite":
            return
        async with self.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver: Any = raw.driver_connection
            # Outside any transaction, on the driver's connection: a checkpoint cannot run
            # inside one.
            await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def dispose(self) -> None:
        """Close every connection."""
        await self.engine.dispose()
