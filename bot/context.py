"""Typed dependencies for handlers: ``context.bot_data.services`` instead of string keys."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot, JobQueue

from bot.commands import Command
from bot.presentation.render import Presenter
from bot.services import Services
from bot.telegram.flood import Priority


class BotData:
    """PTB's bot_data: what handlers and jobs use, wired once by the composition root."""

    __slots__ = ("_commands", "_presenter", "_services")

    def __init__(self) -> None:
        self._services: Services | None = None
        self._presenter: Presenter | None = None
        self._commands: tuple[Command, ...] = ()

    def wire(
        self, *, services: Services, presenter: Presenter, commands: Sequence[Command]
    ) -> None:
        """Attach what handlers use; done once, before the bot starts."""
        self._services, self._presenter = services, presenter
        self._commands = tuple(commands)

    @property
    def services(self) -> Services:
        """Return the services."""
        if self._services is None:
            raise RuntimeError("bot_data used before the composition root wired it")
        return self._services

    @property
    def presenter(self) -> Presenter:
        """Return the presenter (templates, labels, messages)."""
        if self._presenter is None:
            raise RuntimeError("bot_data used before the composition root wired it")
        return self._presenter

    @property
    def commands(self) -> tuple[Command, ...]:
        """Return the command table."""
        return self._commands


Context = CallbackContext[ExtBot[Priority], dict[Any, Any], dict[Any, Any], BotData]
CONTEXT_TYPES: ContextTypes[Context, dict[Any, Any], dict[Any, Any], BotData] = ContextTypes(
    context=CallbackContext, bot_data=BotData
)
AppType = Application[
    ExtBot[Priority], Context, dict[Any, Any], dict[Any, Any], BotData, JobQueue[Context]
]
HandlerCallback = Callable[[Update, Context], Coroutine[Any, Any, None]]
