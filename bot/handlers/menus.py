"""Telegram's command menus, from the command table: one for everyone, one per bot admin."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.commands import Audience
from bot.handlers.table import COMMANDS

log = logging.getLogger(__name__)


def public_menu() -> list[BotCommand]:
    """Return the commands everyone sees in the menu."""
    return [
        BotCommand(command.name, command.help)
        for command in COMMANDS
        if command.menu and command.audience is not Audience.BOT_ADMINS
    ]


def admin_menu() -> list[BotCommand]:
    """Return the commands a bot admin sees in their private chat's menu."""
    return [BotCommand(command.name, command.help) for command in COMMANDS if command.menu]


async def publish_menu(bot: Bot) -> None:
    """Set the menu everyone sees.

    An admin's own menu is set when they first use an admin command in this process, or when
    they are made an admin: Telegram refuses it for someone who never wrote to the bot.
    """
    await bot.set_my_commands(public_menu())


async def admin_changed(bot: Bot, user_id: int, *, is_admin: bool) -> None:
    """Give a new admin their menu, or take it from a former one."""
    scope = BotCommandScopeChat(user_id)
    try:
        if is_admin:
            await bot.set_my_commands(admin_menu(), scope=scope)
        else:
            await bot.delete_my_commands(scope=scope)
    except TelegramError as exc:
        # An admin who never wrote to the bot has no chat with it yet.
        log.info("could not set an admin's command menu: %s", exc)
