"""Telegram's command menus, from the command table: one for everyone, one per bot admin,
each in every language we speak (English for the languages we do not)."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.commands import Audience
from bot.handlers.table import COMMANDS
from templates.i18n import DEFAULT, LANGUAGES, speaking

log = logging.getLogger(__name__)


def public_menu(language: str = DEFAULT) -> list[BotCommand]:
    """Return the commands everyone sees in the menu."""
    with speaking(language):
        return [
            BotCommand(command.name, command.description)
            for command in COMMANDS
            if command.menu and command.audience is not Audience.BOT_ADMINS
        ]


def admin_menu(language: str = DEFAULT) -> list[BotCommand]:
    """Return the commands a bot admin sees in their private chat's menu."""
    with speaking(language):
        return [
            BotCommand(command.name, command.description) for command in COMMANDS if command.menu
        ]


async def publish_menu(bot: Bot) -> None:
    """Set the menu everyone sees, in each language.

    An admin's own menu is set when they first use an admin command in this process, or when
    they are made an admin: Telegram refuses it for someone who never wrote to the bot.
    """
    await bot.set_my_commands(public_menu())
    for language in LANGUAGES:
        if language != DEFAULT:
            await bot.set_my_commands(public_menu(language), language_code=language)


async def admin_changed(bot: Bot, user_id: int, *, is_admin: bool) -> None:
    """Give a new admin their menu, or take it from a former one."""
    scope = BotCommandScopeChat(user_id)
    try:
        for language in LANGUAGES:
            code = None if language == DEFAULT else language
            if is_admin:
                await bot.set_my_commands(admin_menu(language), scope=scope, language_code=code)
            else:
                await bot.delete_my_commands(scope=scope, language_code=code)
    except TelegramError as exc:
        # An admin who never wrote to the bot has no chat with it yet.
        log.info("could not set an admin's command menu: %s", exc)
