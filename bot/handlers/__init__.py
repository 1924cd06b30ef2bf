"""Telegram handlers: parse the update, call a service, render a template, reply."""

from __future__ import annotations

from telegram.ext import CommandHandler

from bot.context import AppType
from bot.handlers import info


def register(application: AppType) -> None:
    """Attach every handler to the application."""
    application.add_handler(CommandHandler("start", info.start))
    application.add_handler(CommandHandler("help", info.help_command))
