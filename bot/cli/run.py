"""``appealbot run``."""

from __future__ import annotations

import argparse
import logging

from bot.app import serve
from bot.cli.signals import stop_on_signals
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
    stop = stop_on_signals()
    await serve(settings, stop=stop)
    return 0
