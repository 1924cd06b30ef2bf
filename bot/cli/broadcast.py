"""``appealbot broadcast APPEAL [--wait]``: queue an appeal for every subscriber."""

from __future__ import annotations

import argparse
import sys

from bot.app import open_services
from bot.config import Settings
from bot.delivery.progress import Progress, bar, duration, follow
from bot.services.appeals import appeal_id_for
from bot.services.publishing import publish, retry_failed
from core.errors import BadInputError, ConfigError
from storage.migrate import upgrade

PROGRESS_EVERY = 0.5


async def broadcast(settings: Settings, args: argparse.Namespace) -> int:
    """Publish the appeal if it is a draft, queue it, and with --wait send it from here."""
    if args.wait and settings.telegram_token is None:
        raise ConfigError("--wait sends from this process and needs APPEALBOT_TELEGRAM_TOKEN")
    await upgrade(settings.database_url)
    async with open_services(settings) as services:
        async with services.sessions.begin() as session:
            appeal_id = await appeal_id_for(session, str(args.appeal))
            published = await publish(
                session, appeal_id, actor="cli", paid=settings.telegram_paid_broadcast
            )
            requeued = (
                await retry_failed(session, appeal_id, actor="cli") if args.retry_failed else 0
            )
        print(
            f"appeal {published.appeal_id}: {published.queued} newly queued, "
            f"{published.total} in all"
            + (f", {requeued} failed queued again" if args.retry_failed else "")
        )
        if not args.wait:
            print("the running service sends them (or run again with --wait)")
            return 0
        delivery = services.delivery
        if delivery is None:
            raise BadInputError("no delivery channel is configured")
        terminal = sys.stderr.isatty()

        def show(progress: Progress) -> None:
            line = bar(progress)
            if terminal:
                print(f"\r{line}", end="", file=sys.stderr, flush=True)
            else:
                print(line, file=sys.stderr, flush=True)

        await delivery.start()
        try:
            delivery.wake()
            final = await follow(
                services.reads, published.appeal_id, report=show, every=PROGRESS_EVERY
            )
        finally:
            await delivery.stop()
        if terminal:
            print(file=sys.stderr)
        print(
            f"done: sent {final.sent}, failed {final.failed}, gone {final.gone} of {final.total} "
            f"in {duration(final.elapsed)}"
        )
        return 0
