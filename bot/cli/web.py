"""``appealbot web``: only the HTTP endpoints, beside ``appealbot run``."""

from __future__ import annotations

import argparse
import logging

from bot.app import serve_web
from bot.cli.signals import stop_on_signals
from bot.config import Settings
from bot.logs import set_level


async def web(settings: Settings, _args: argparse.Namespace) -> int:
    """Serve the public pages, feeds, calendars and email links until SIGINT or SIGTERM.

    Several may run behind one reverse proxy on one PostgreSQL database; none of them sends.
    """
    set_level(logging.getLevelName(settings.log_level))
    stop = stop_on_signals()
    await serve_web(settings, stop=stop)
    return 0
