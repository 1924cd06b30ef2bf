"""``appealbot run``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from bot.app import serve
from bot.config import Settings
from bot.logs import set_level
from core.errors import ConfigError

NO_TOKEN = (
    "APPEALBOT_TELEGRAM_TOKEN is not set: create a bot with @BotFather in Telegram (/newbot), "
    "then put APPEALBOT_TELEGRAM_TOKEN=<token> in the .env file next to this README"
)


async def run(settings: Settings, _args: argparse.Namespace) -> int:
    """Run the service until SIGINT or SIGTERM."""
    if settings.telegram_token is None:
        raise ConfigError(NO_TOKEN)
    set_level(logging.getLevelName(settings.log_level))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve(settings, stop=stop)
    return 0
