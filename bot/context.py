"""Typed dependencies for handlers: ``context.bot_data.services`` instead of string keys."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot, JobQueue

from bot.config import Settings
from bot.delivery.engine import DeliveryEngine
from bot.delivery.ratelimit import Priority, RateLimiter
from bot.delivery.reporter import ProgressReporter
from bot.services.lookup import CaseIndex
from templates import Templates


@dataclass(frozen=True, slots=True)
class Services:
    """Everything handlers and jobs use, built once by the composition root."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    reads: async_sessionmaker[AsyncSession]
    templates: Templates
    case_index: CaseIndex
    limiter: RateLimiter
    delivery: DeliveryEngine | None
    reporter: ProgressReporter


class BotData:
    """PTB's bot_data, holding the services once the composition root has wired them."""

    __slots__ = ("_services",)

    def __init__(self) -> None:
        self._services: Services | None = None

    def wire(self, services: Services) -> None:
        """Attach the services; done once, before the bot starts."""
        self._services = services

    @property
    def services(self) -> Services:
        """Return the services (the composition root wires them before any update)."""
        if self._services is None:
            raise RuntimeError("bot_data used before the composition root wired the services")
        return self._services


Context = CallbackContext[ExtBot[Priority], dict[Any, Any], dict[Any, Any], BotData]
CONTEXT_TYPES: ContextTypes[Context, dict[Any, Any], dict[Any, Any], BotData] = ContextTypes(
    context=CallbackContext, bot_data=BotData
)
AppType = Application[
    ExtBot[Priority], Context, dict[Any, Any], dict[Any, Any], BotData, JobQueue[Context]
]
HandlerCallback = Callable[[Update, Context], Coroutine[Any, Any, None]]
