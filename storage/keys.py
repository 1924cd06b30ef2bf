"""The data key and the database together: which key a database needs, made on its first
start; sealing what a database from before sealing holds in the clear; wiping what is left
of it in the files."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.errors import ConfigError
from core.keyfile import Keys
from core.sealing import KeyRing
from storage.database import Database
from storage.repo.seal_keys import known_keys, lock_keys, register_key, seal_clear


async def settle_keys(db: Database, keys: Keys, now: datetime) -> KeyRing:
    """Make sure the keys open this database: make the key file on a database's first
    start, refuse keys that are not the ones its addresses were sealed with, and record the
    current key as in use."""
    async with db.read() as session:
        known = await known_keys(session)
    if keys.exists():
        ring = keys.fresh()
        if ring.current.id in {key.id for key in known if key.live}:
            return ring  # the usual start: nothing to write
    # Checked and recorded in one transaction that holds the table: two processes starting
    # on a new database (a worker on another machine) cannot each make a key of their own.
    async with db.unit() as unit:
        await lock_keys(unit.session)
        known = await known_keys(unit.session)
        live = {key.id for key in known if key.live}
        if not keys.exists():
            if live:
                raise ConfigError(
                    "this database's addresses are sealed with a key, and there is no key "
                    "file at %(path)s: point APPEALBOT_KEY_FILE at the file it was made with",
                    path=str(keys.path),
                )
            keys.create()
        ring = keys.fresh()
        if live and not live & {key.id for key in ring.keys}:
            raise ConfigError(
                "this database's addresses are sealed with key #%(wanted)s, and %(where)s "
                "holds another (#%(have)s): use the key this database was made with",
                wanted=min(live),
                where=keys.described,
                have=ring.current.id,
            )
        await register_key(unit.session, ring.current.id, now)
    return ring


async def seal_all(db: Database, *, batch: int = 500) -> int:
    """Seal every address still in the clear, a batch per transaction (an interrupted run
    goes on where it stopped); return how many."""
    total = 0
    while True:
        async with db.unit() as unit:
            done = await seal_clear(unit.session, batch=batch)
        total += done
        if done < batch:
            return total


async def wipe_free_space(db: Database) -> None:
    """Leave nothing deleted or overwritten readable in the database's files: SQLite's file
    rebuilt (VACUUM) and its write-ahead log emptied; PostgreSQL's tables with addresses
    rewritten (VACUUM FULL) and a checkpoint asked for."""
    if db.engine.dialect.name == "sqlite":
        async with db.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver: Any = raw.driver_connection
            wipe = ("PRAGMA secure_delete=ON", "VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)")
            for statement in wipe:
                cursor = await driver.execute(statement)
                await cursor.close()
        return
    async with db.engine.connect() as connection:
        outside = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await outside.execute(text("VACUUM FULL subscribers, deliveries"))
        # A role without pg_checkpoint may not; the server's own checkpoints follow anyway.
        with contextlib.suppress(DBAPIError):
            await outside.execute(text("CHECKPOINT"))
