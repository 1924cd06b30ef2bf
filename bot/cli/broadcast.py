"""``appealbot broadcast APPEAL [--wait] [--retry-failed]``: queue an appeal for everyone."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from bot.app import Migrate, open_app
from bot.config import Settings
from bot.delivery.figures import Progress, follow
from bot.presentation.progress_words import bar, duration
from bot.services.actors import CLI
from bot.services.references import Meant
from core.errors import BadInputError, ConfigError, NotFoundError

PROGRESS_EVERY = 0.5


async def broadcast(settings: Settings, args: argparse.Namespace) -> int:
    """Publish the appeal if it is a draft, queue it, and with --wait send it from here."""
    if args.wait and settings.telegram_token is None:
        raise ConfigError("--wait sends from this process and needs APPEALBOT_TELEGRAM_TOKEN")
    async with open_app(settings, migrate=Migrate.UPGRADE) as app:
        services = app.services
        if settings.telegram_channel:
            await app.introduce()
        resolution = await services.resolver.appeal(str(args.appeal), public=False)
        if resolution.found is not Meant.APPEAL or resolution.appeal_id is None:
            raise NotFoundError(f"There is no appeal “{str(args.appeal)[:80]}”.")
        appeal_id = resolution.appeal_id
        published = await services.publishing.publish(
            appeal_id, actor=CLI, confirm_summary=args.confirm_summary
        )
        requeued = (
            await services.publishing.retry_failed(appeal_id, actor=CLI) if args.retry_failed else 0
        )
        print(
            f"appeal {published.appeal_id}: {published.queued} newly queued, "
            f"{published.total} in all"
            + (f", {requeued} failed queued again" if args.retry_failed else "")
        )
        if not args.wait:
            print("the running service sends them (or run again with --wait)")
            return 0
        delivery = app.delivery
        if delivery is None:
            raise BadInputError("no delivery channel is configured")
        terminal = sys.stderr.isatty()

        def show(progress: Progress) -> None:
            line = bar(progress)
            if terminal:
                print(f"\r{line}", end="", file=sys.stderr, flush=True)
            else:
                print(line, file=sys.stderr, flush=True)

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await delivery.start()
        following = asyncio.create_task(
            follow(app.db, published.appeal_id, report=show, every=PROGRESS_EVERY)
        )
        stopping = asyncio.create_task(stop.wait())
        try:
            delivery.wake()
            await asyncio.wait({following, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            following.cancel()
            await delivery.stop()
        if terminal:
            print(file=sys.stderr)
        if not following.done() or following.cancelled():
            print("stopped: what was not sent stays queued for the running service")
            return 1
        final = following.result()
        print(
            f"done: sent {final.sent}, failed {final.failed}, gone {final.gone} of {final.total} "
            f"in {duration(final.elapsed)}"
        )
        return 0
