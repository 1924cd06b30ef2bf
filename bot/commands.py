"""The shape of the command table: each command, who may use it, and where it shows.

The table itself, with the handlers, is in bot/handlers/table.py.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from telegram import Update

from bot.presentation.callbacks import Action
from templates.i18n import _

Handler = Callable[[Update, Any], Coroutine[Any, Any, None]]


class Audience(StrEnum):
    ANYONE = "anyone"
    CHAT_ADMINS = "chat admins"  # in a group only its admins; in a private chat its owner
    BOT_ADMINS = "bot admins"  # APPEALBOT_ADMIN_IDS and those added; private chats only


@dataclass(frozen=True, slots=True)
class Command:
    """One command: /name args, its line in /help, its handler, who may use it."""

    name: str
    args: str
    help: str
    handler: Handler
    audience: Audience = Audience.ANYONE
    menu: bool = True  # in Telegram's menu (bot admins' commands: in their own menu)

    @property
    def usage(self) -> str:
        """Return how the command is written, in the reader's language: /case <name>."""
        return f"/{self.name} {_(self.args) if self.args else ''}".strip()

    @property
    def description(self) -> str:
        """Return the command's line in /help and in Telegram's menu, in the reader's language."""
        return _(self.help)


@dataclass(frozen=True, slots=True)
class Button:
    """One kind of inline button, by its callback action (``name``: for the audit log)."""

    action: Action
    handler: Handler
    audience: Audience = Audience.ANYONE
    name: str = ""


@dataclass(frozen=True, slots=True)
class Shortcut:
    """A command with its argument in its name (/appeal_12), matched by a pattern."""

    pattern: str
    handler: Handler
