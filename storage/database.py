"""Units of work: a transaction that commits, then fires what must follow it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.errors import DatabaseUnwritableError
from core.sealing import Sealer
from storage.engine import (
    SQLITE_BUSY_TIMEOUT_MS,
    create_read_sessionmaker,
    create_sessionmaker,
)
from storage.sealed import SEALER

Effect = Callable[[], None]
log = logging.getLogger(__name__)
# How long a checkpoint that empties the log waits for readers (writers wait as long), and
# how it is tried again when they did not finish.
CHECKPOINT_WAIT_MS = 1_000
CHECKPOINT_RETRY_SECONDS = 2.0
CHECKPOINT_RETRIES = 150
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
        self._retrying: asyncio.Task[None] | None = None
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
        deleted (and overwritten there: secure_delete) is in neither; nothing on PostgreSQL.

        A reader still on an older snapshot keeps the log from being emptied, and while a
        checkpoint waits for it no one can write: so it waits a second at most, and one that
        could not finish is tried again in the background until it does.
        """
        if self.engine.dialect.name != "sqlite":
            return
        if not await self._checkpoint_once() and self._retrying is None:
            self._retrying = asyncio.create_task(self._checkpoint_until_done())

    async def emptied(self) -> None:
        """Return once no checkpoint is left to try again (the log was emptied, or given up)."""
        if self._retrying is not None:
            await asyncio.shield(self._retrying)

    async def _checkpoint_once(self) -> bool:
        async with self.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver: Any = raw.driver_connection
            # Outside any transaction, on the driver's connection: a checkpoint cannot run
            # inside one.
            await driver.execute(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
            try:
                cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                row = await cursor.fetchone()
                await cursor.close()
            finally:
                await driver.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        return row is None or not row[0]

    async def _checkpoint_until_done(self) -> None:
        try:
            for _ in range(CHECKPOINT_RETRIES):
                await asyncio.sleep(CHECKPOINT_RETRY_SECONDS)
                if await self._checkpoint_once():
                    return
            log.warning("the write-ahead log could not be emptied: a reader holds it")
        finally:
            self._retrying = None

    async def dispose(self) -> None:
        """Close every connection (a checkpoint still to do is tried once more first)."""
        retrying = self._retrying
        if retrying is not None:
            retrying.cancel()
            await asyncio.gather(retrying, return_exceptions=True)
            with contextlib.suppress(DBAPIError):
                await self._checkpoint_once()
        await self.engine.dispose()
