"""``appealbot db upgrade`` and ``appealbot seed``."""

from __future__ import annotations

import argparse
import sys

from bot.app import Migrate, open_app
from bot.config import Settings


async def db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    """Apply every migration."""
    async with open_app(settings, migrate=Migrate.UPGRADE) as app:
        revision = await app.services.maintenance.revision()
    print(f"database is at revision {revision}")
    return 0


async def seed(settings: Settings, args: argparse.Namespace) -> int:
    """Load seed files; print what was added; refuse invalid files whole."""
    async with open_app(settings, migrate=Migrate.UPGRADE) as app:
        report = await app.services.maintenance.seed(args.paths or ())
    for loaded in report.loaded:
        state = "added" if loaded.created else "already there"
        print(f"{loaded.appeal_slug}: {state}")
    for refused in report.refused:
        print(f"appealbot: seed refused: {refused}", file=sys.stderr)
    return 2 if report.refused else 0
