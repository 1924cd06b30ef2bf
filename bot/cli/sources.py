"""``appealbot sources``: publishers' feeds followed for new appeals."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from bot.app import open_app
from bot.config import Settings
from bot.services.actors import Actor
from bot.services.sources import SourceChange
from core.errors import UsageError


async def add(settings: Settings, args: argparse.Namespace) -> int:
    """Follow a feed (or the feed a page names)."""
    async with open_app(settings) as app:
        shown = await app.services.sources.add(args.url, actor=Actor.cli())
    print(f"source {shown.id}: {shown.title or shown.feed_url} ({shown.feed_url})")
    return 0


async def list_sources(settings: Settings, args: argparse.Namespace) -> int:
    """Print every source with its last check and figures."""
    async with open_app(settings) as app:
        shown = await app.services.sources.followed()
    if args.json:
        rows = [
            {**asdict(item), "checked_at": item.checked_at.isoformat() if item.checked_at else None}
            for item in shown
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for item in shown:
        checked = item.checked_at.strftime("%Y-%m-%d %H:%M") if item.checked_at else "never"
        print(
            f"{item.id:>4}  {item.state:<7}  checked {checked}  seen {item.seen}, "
            f"drafts {item.drafts}, skipped {item.skipped}  {item.title or item.feed_url}"
        )
        if item.error:
            print(f"      last error: {item.error}")
    if not shown:
        print("no sources yet: appealbot sources add URL")
    return 0


async def change(settings: Settings, args: argparse.Namespace) -> int:
    """Remove, pause or resume a source."""
    what = SourceChange(args.sources_command)
    async with open_app(settings) as app:
        if not await app.services.sources.change(args.number, what, actor=Actor.cli()):
            raise UsageError("There is no source %(number)s.", number=args.number)
    print(f"source {args.number}: {what.value}d")
    return 0


async def poll(settings: Settings, _args: argparse.Namespace) -> int:
    """Poll every active source once now, make the drafts (their reviews queued for the
    admins, sent by the running bot), and say what was found."""
    async with open_app(settings) as app:
        results = await app.services.sources.poll()
    for result in results:
        if result.error:
            print(f"source {result.source_id}: {result.error}")
            continue
        print(
            f"source {result.source_id}: new drafts {len(result.drafts)} (sent to the admins "
            f"to review); skipped {len(result.skipped)}, "
            f"already drafted {result.duplicates}" + (" (unchanged)" if result.unchanged else "")
        )
        for title, why in result.skipped:
            print(f"      skipped “{title}”: {why}")
    if not results:
        print("no active sources")
    return 0
