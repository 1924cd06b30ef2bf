"""``appealbot worker``: an extra delivery worker beside ``appealbot run``."""

from __future__ import annotations

import argparse
import logging

from bot.app import Migrate, open_app
from bot.cli.signals import stop_on_signals
from bot.config import Settings
from bot.logs import set_level
from core.errors import ConfigError

log = logging.getLogger(__name__)


async def worker(settings: Settings, _args: argparse.Namespace) -> int:
    """Send due deliveries until SIGINT or SIGTERM; take over from workers that die.

    Several share one PostgreSQL database: one at a time sends to Telegram (one bot, one
    budget), every one sends email.
    """
    set_level(logging.getLevelName(settings.log_level))
    stop = stop_on_signals()
    async with open_app(settings, migrate=Migrate.REQUIRE) as app:
        if app.delivery is None:
            raise ConfigError(
                "nothing to send with: set APPEALBOT_TELEGRAM_TOKEN or APPEALBOT_SMTP_HOST"
            )
        if not settings.database_url.startswith("postgresql"):
            log.warning("workers share work through PostgreSQL; on SQLite one process is enough")
        await app.introduce()
        await app.delivery.start()
        log.info("delivery worker %s is running", app.delivery.worker_id)
        await stop.wait()
        log.info("stopping")
        await app.delivery.stop()
    return 0
