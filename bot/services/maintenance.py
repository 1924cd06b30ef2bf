"""What an operator does to the database from the command line: migrate it, load seeds, back
it up and restore it."""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Sequence
from pathlib import Path

from core.keyfile import Keys
from storage.backup import backup_sqlite, restore_sqlite
from storage.database import Database
from storage.migrate import current_revision
from storage.repo.appeals import count_appeals
from storage.repo.cases import count_cases
from storage.repo.workers import give_up_lease, hold_lease, lease_holder, take_lease
from storage.seeding import SeedReport, default_seed_dir, load_seed_files

log = logging.getLogger(__name__)

BOT_ROLE = "bot"  # answering the bot's updates: one `appealbot run` per database
BOT_HOLD_SECONDS = 15.0  # a killed run's successor may start this long after


def _gone_from_here(holder: str) -> bool:
    """Tell whether a holder named by ``this_process`` ran on this machine and is gone."""
    process, _, host = holder.partition("/")[0].partition("@")
    if host != socket.gethostname()[: len(host)] or not process.isdigit():
        return False
    try:
        os.kill(int(process), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


def this_process() -> str:
    """Name this run as an operator finds it: its process id and host (and a tag of its own,
    should one process start two)."""
    return f"{os.getpid()}@{socket.gethostname()}"[:31] + "/" + secrets.token_hex(2)


class MaintenanceService:
    """The database as an operator looks after it."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def revision(self) -> str | None:
        """Return the migration the database is at (None: never migrated)."""
        return await current_revision(self._db.engine)

    async def seed_if_empty(self) -> bool:
        """Load the shipped seeds into a database without cases or appeals."""
        async with self._db.read() as session:
            empty = await count_cases(session) == 0 and await count_appeals(session) == 0
        if empty:
            report = await self.seed()
            log.info("seeded an empty database with %d appeals", report.created)
        return empty

    async def hold_the_bot(self, holder: str) -> str | None:
        """Take or renew the role of answering the bot for ``BOT_HOLD_SECONDS``; return
        None when ``holder`` has it, else who has it. A holder that was a process on this
        machine and is gone (killed) is taken over at once."""
        async with self._db.unit() as unit:
            if await hold_lease(
                unit.session, name=BOT_ROLE, holder=holder, seconds=BOT_HOLD_SECONDS
            ):
                return None
            other = await lease_holder(unit.session, BOT_ROLE)
            if (
                other is not None
                and _gone_from_here(other)
                and await take_lease(
                    unit.session,
                    name=BOT_ROLE,
                    holder=holder,
                    taken_from=other,
                    seconds=BOT_HOLD_SECONDS,
                )
            ):
                log.warning("the run that held the bot stopped without a word: taken over")
                return None
            return other or "another process"

    async def release_the_bot(self, holder: str) -> None:
        """Let the next `appealbot run` start at once (a clean stop)."""
        async with self._db.unit() as unit:
            await give_up_lease(unit.session, name=BOT_ROLE, holder=holder)

    async def seed(self, paths: Sequence[Path] = ()) -> SeedReport:
        """Load seed files (none given: the shipped ones); a file with a fault is refused whole."""
        return await load_seed_files(self._db, list(paths) or [default_seed_dir()])


async def backup(database_url: str, target: Path) -> int:
    """Copy a SQLite database to ``target`` while the bot runs; return the pages copied."""
    return await backup_sqlite(database_url, target)


async def restore(database_url: str, backup_file: Path, keys: Keys) -> Path | None:
    """Replace a SQLite database by a backup (the bot stopped) that the data key opens;
    return where the database as it was is kept, if it was there."""
    ids = {key.id for key in keys().keys} if keys.exists() else None
    where = str(keys.path) if keys.path is not None else "APPEALBOT_DATA_KEY"
    return await restore_sqlite(database_url, backup_file, keys=ids, where=where)
