"""``appealbot key status|rotate|destroy``: the data key that seals subscribers' addresses."""

from __future__ import annotations

import argparse
import sys

from bot.app import Migrate, open_app
from bot.config import Settings


async def status(settings: Settings, _args: argparse.Namespace) -> int:
    """Say which key is in force and where it is kept."""
    async with open_app(settings, migrate=Migrate.REQUIRE) as app:
        found = await app.services.keys.status()
    where = found.where or "APPEALBOT_DATA_KEY"
    since = f", since {found.since:%Y-%m-%d}" if found.since else ""
    print(f"key #{found.key_id} in {where}{since}")
    if found.rotating:
        print("a rotation began and has not finished: run `appealbot key rotate` again")
    if found.destroyed_at is not None:
        print(
            f"a key was destroyed on {found.destroyed_at:%Y-%m-%d}: "
            f"{found.lost} earlier subscribers can no longer be reached"
        )
    return 0


async def rotate(settings: Settings, _args: argparse.Namespace) -> int:
    """Seal every address again with a new key, while the bot runs."""
    async with open_app(settings, migrate=Migrate.REQUIRE) as app:
        done = await app.services.keys.rotate(
            report=lambda total: print(f"sealed again: {total}", flush=True)
        )
    print(f"rotated: key #{done.key_id} seals every address now ({done.resealed} sealed again)")
    print("backups made before this need the old key, which is gone from the key file")
    return 0


async def destroy(settings: Settings, args: argparse.Namespace) -> int:
    """Overwrite the key: every stored address unreadable at once; new subscribers go on."""
    async with open_app(settings, migrate=Migrate.REQUIRE) as app:
        network = app.services.keys.network
        typed = args.confirm
        if typed is None:
            print(
                "This makes every subscriber's address in the database and in every backup "
                "unreadable, for good: nobody, this service included, can reach them again.",
                file=sys.stderr,
            )
            print(f"Type the network's name ({network}) to go on: ", end="", file=sys.stderr)
            typed = sys.stdin.readline()
        done = await app.services.keys.destroy(typed)
    print(
        f"destroyed: {done.lost} subscribers can no longer be reached; "
        f"new subscribers are sealed with key #{done.key_id}"
    )
    return 0
