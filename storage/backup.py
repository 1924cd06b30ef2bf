"""Backups of a SQLite database with SQLite's online backup API (PostgreSQL: pg_dump)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from core.errors import BadInputError

POSTGRES_HINT = (
    "this database is PostgreSQL: back it up with `pg_dump --format=custom -f FILE DBNAME` "
    "and restore it with `pg_restore --clean --if-exists -d DBNAME FILE`"
)


def sqlite_file(database_url: str) -> Path:
    """Return the file of a SQLite database URL (BadInputError for anything else)."""
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite"):
        raise BadInputError(POSTGRES_HINT)
    if not url.database or url.database == ":memory:":
        raise BadInputError("an in-memory database cannot be backed up")
    return Path(url.database)


def _copy(source: sqlite3.Connection, target: Path) -> int:
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    destination = sqlite3.connect(partial)
    try:
        source.backup(destination, pages=256)
        pages = int(destination.execute("PRAGMA page_count").fetchone()[0])
    finally:
        destination.close()
    # Readable by the operator only: sealed addresses, but appeals' drafts and the audit too.
    os.chmod(partial, 0o600)
    os.replace(partial, target)
    return pages


def _check(path: Path) -> None:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BadInputError(f"{path} cannot be opened: {exc}") from None
    try:
        ok = connection.execute("PRAGMA integrity_check").fetchone()[0]
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise BadInputError(f"{path} is not an appealbot backup: {exc}") from None
    finally:
        connection.close()
    if ok != "ok" or "alembic_version" not in tables or "appeals" not in tables:
        raise BadInputError(f"{path} is not an appealbot backup (or it is damaged)")


def _backup(database: Path, target: Path) -> int:
    if not database.exists():
        raise BadInputError(f"there is no database at {database}")
    if target.resolve() == database.resolve():
        raise BadInputError("the backup must go to another file than the database")
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return _copy(source, target)
    finally:
        source.close()


def sealed_with(path: Path) -> set[int]:
    """Return the ids of the keys a database's (or a backup's) addresses are sealed with."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        if "seal_keys" not in tables:
            return set()  # from before sealing: its migration seals it with the key in force
        used = {
            int(row[0])
            for table in ("subscribers", "deliveries")
            for row in connection.execute(
                f"SELECT DISTINCT sealed_with FROM {table} "
                "WHERE address_sealed IS NOT NULL AND sealed_with IS NOT NULL"
            )
        }
        live = {
            int(row[0])
            for row in connection.execute(
                "SELECT id FROM seal_keys WHERE destroyed_at IS NULL AND retired_at IS NULL"
            )
        }
        return used | live
    finally:
        connection.close()


def _check_keys(backup: Path, keys: set[int] | None, where: str) -> None:
    needed = sealed_with(backup)
    if not needed:
        return
    if keys is None:
        raise BadInputError(
            "nothing was restored: the backup's addresses are sealed with key #%(key)s, and "
            "there is no key at %(where)s; a backup is useless without its key",
            key=min(needed),
            where=where,
        )
    missing = needed - keys
    if missing == needed:
        raise BadInputError(
            "nothing was restored: the backup's addresses are sealed with key #%(key)s, and "
            "%(where)s holds another; use the key file this backup was made with",
            key=min(missing),
            where=where,
        )


def _restore(database: Path, backup: Path, keys: set[int] | None, where: str) -> Path | None:
    if not backup.exists():
        raise BadInputError(f"there is no backup at {backup}")
    _check(backup)
    _check_keys(backup, keys, where)
    kept = None
    if database.exists():
        # Nothing is lost by a restore: what was there is kept beside it first.
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        kept = database.with_name(f"{database.name}.before-restore-{stamp}")
        _backup(database, kept)
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    destination = sqlite3.connect(database)
    try:
        source.backup(destination, pages=256)
    finally:
        destination.close()
        source.close()
    with contextlib.suppress(OSError):
        os.chmod(database, 0o600)
    return kept


async def backup_sqlite(database_url: str, target: Path) -> int:
    """Copy a live SQLite database to ``target`` consistently; return its size in pages."""
    return await asyncio.to_thread(_backup, sqlite_file(database_url), target)


async def restore_sqlite(
    database_url: str, backup: Path, *, keys: set[int] | None, where: str
) -> Path | None:
    """Replace a SQLite database by a backup whose addresses these keys open (``keys``: the
    ids of the keys there are, None for none, found at ``where``); return where the old one
    was kept. Nothing changes when the keys do not open it."""
    return await asyncio.to_thread(_restore, sqlite_file(database_url), backup, keys, where)
