"""``appealbot backup FILE`` and ``appealbot restore FILE``."""

from __future__ import annotations

import argparse

from bot.app import build_keys
from bot.config import Settings
from bot.services.maintenance import backup as backup_database
from bot.services.maintenance import restore as restore_database


async def backup(settings: Settings, args: argparse.Namespace) -> int:
    """Copy the database to FILE while the bot runs (SQLite's online backup)."""
    pages = await backup_database(settings.database_url, args.file)
    print(f"backed up to {args.file} ({pages} pages)")
    print(
        f"subscribers' addresses in it are sealed: it is useless without the key in "
        f"{build_keys(settings).described}. Keep a copy of that key apart from the backups."
    )
    return 0


async def restore(settings: Settings, args: argparse.Namespace) -> int:
    """Replace the database by FILE (stop the bot first); the old one is kept beside it."""
    kept = await restore_database(settings.database_url, args.file, build_keys(settings))
    print(f"restored from {args.file}")
    if kept is not None:
        print(f"the database as it was is kept in {kept}")
    print("start the bot again: migrations, if the backup is older, run as it starts")
    return 0
