"""Apply Alembic migrations from inside the running program."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from core.errors import BadInputError
from core.keyfile import Keys
from core.sealing import Sealer
from core.timing import system_clock
from storage.database import Database
from storage.engine import create_engine
from storage.keys import seal_all, settle_keys, wipe_free_space

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    """Build an Alembic config pointing at our migrations, without an ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


# The revisions between which addresses are sealed: after the first, before the second.
SEALING = ("0016", "0017")


async def upgrade(url: str, *, revision: str = "head", keys: Keys | None = None) -> None:
    """Bring the database at ``url`` to the given revision (down, if it is further along).

    Passing the revision that drops the clear addresses, with ``keys``: the key is settled
    (made on a first start), every address sealed in batches, and the old plaintext wiped
    from the files. Without keys, a database that holds addresses stops before that step.
    """
    target = head_revision() if revision == "head" else revision
    engine = create_engine(url, for_migrations=True)
    try:
        async with engine.connect() as connection:
            current = await connection.run_sync(current_of) or ""
    finally:
        await engine.dispose()
    if keys is not None and current < SEALING[1] <= (target or ""):
        await _apply(url, SEALING[0])
        db = Database(create_engine(url), Sealer(keys))
        try:
            await settle_keys(db, keys, system_clock())
            sealed = await seal_all(db)
            await _apply(url, revision)
            if sealed:
                await wipe_free_space(db)
        finally:
            await db.dispose()
        return
    await _apply(url, revision)


async def _apply(url: str, revision: str) -> None:
    config = alembic_config()

    def _upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        if revision == "base" or (current_of(connection) or "") > revision:
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)

    engine = create_engine(url, for_migrations=True)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade)
            if connection.dialect.name == "sqlite":
                broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
    finally:
        await engine.dispose()


def current_of(connection: Connection) -> str | None:
    """Return the revision a connected database is at."""
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    """Return the revision the database is at, or None when it was never migrated."""

    def _current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(_current)


def head_revision() -> str | None:
    """Return the newest revision this code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def require_current(engine: AsyncEngine) -> None:
    """Raise BadInputError unless the database is migrated to the newest revision."""
    current = await current_revision(engine)
    if current != head_revision():
        state = "empty" if current is None else f"at revision {current}"
        raise BadInputError(f"the database is {state}: run `appealbot db upgrade` first")
