"""/start and /help."""

from __future__ import annotations

from telegram import Update

from bot.commands import PUBLIC_COMMANDS
from bot.context import Context
from bot.handlers.replies import reply


async def start(update: Update, context: Context) -> None:
    """Welcome a new reader."""
    await reply(update, context, "start")


async def help_command(update: Update, context: Context) -> None:
    """List every command."""
    await reply(update, context, "help", commands=PUBLIC_COMMANDS)
