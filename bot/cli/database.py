"""``appealbot db upgrade`` and ``appealbot seed``."""

from __future__ import annotations

import argparse
import sys

from bot.config import Settings
from storage.engine import create_engine, create_sessionmaker
from storage.migrate import current_revision, upgrade
from storage.seeding import default_seed_dir, load_seed_files


async def db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    """Apply every migration."""
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        revision = await current_revision(engine)
    finally:
        await engine.dispose()
    print(f"database is at revision {revision}")
    return 0


async def seed(settings: Settings, args: argparse.Namespace) -> int:
    """Load seed files; print what was added; refuse invalid files whole."""
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        paths = args.paths or [default_seed_dir()]
        report = await load_seed_files(create_sessionmaker(engine), paths)
    finally:
        await engine.dispose()
    for loaded in report.loaded:
        state = "added" if loaded.created else "already there"
        print(f"{loaded.appeal_slug}: {state}")
    for refused in report.refused:
        print(f"appealbot: seed refused: {refused}", file=sys.stderr)
    return 2 if report.refused else 0
