"""``appealbot stats [--json]``."""

from __future__ import annotations

import argparse
import json

from bot.app import open_app
from bot.config import Settings


async def stats(settings: Settings, args: argparse.Namespace) -> int:
    """Print subscribers, appeals, protests and recent broadcasts."""
    async with open_app(settings) as app:
        figures = await app.services.stats.collect()
    if args.json:
        print(json.dumps(figures.as_json(), ensure_ascii=False, indent=2))
        return 0
    print("subscribers:")
    for channel, states in figures.subscribers.items():
        print(f"  {channel}: " + ", ".join(f"{state} {n}" for state, n in states.items()))
    if not figures.subscribers:
        print("  none yet")
    if figures.mirrors:
        print("mirrors:")
        for channel, where, state in figures.mirrors:
            print(f"  {channel} {where}: {state}")
    print("appeals: " + ", ".join(f"{status} {n}" for status, n in figures.appeals.items()))
    print("protests sent:")
    for appeal_id, title, count in figures.protests:
        print(f"  {count:>6}  #{appeal_id} {title}")
    print("last broadcasts:")
    for item in figures.broadcasts:
        print(
            f"  #{item.appeal_id} {item.title}: sent {item.sent}, failed {item.failed}, "
            f"gone {item.gone}, left {item.left}"
        )
    return 0
