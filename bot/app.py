"""The composition root: settings -> engine -> services -> Application, wired in one place."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import BotCommand, Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application, JobQueue
from telegram.request import BaseRequest

from bot import handlers
from bot.commands import PUBLIC_COMMANDS
from bot.config import Settings
from bot.context import CONTEXT_TYPES, AppType, BotData, Context, Services
from bot.delivery.channels import DeliveryChannel
from bot.delivery.engine import DeliveryEngine, EngineConfig
from bot.delivery.ratelimit import Limits, RateLimiter
from bot.delivery.render import MessageCache
from bot.delivery.reporter import ProgressReporter
from bot.delivery.telegram_channel import TelegramChannel
from bot.keyboards import progress_keyboard
from bot.services.lookup import CaseIndex
from bot.telegram.client import BotApiClient
from bot.telegram.ratelimiter import InteractiveRateLimiter
from bot.telegram.request import AiohttpRequest, PollingHealth
from bot.telegram.updates import PerChatUpdateProcessor
from bot.web import start_web
from core.errors import AppealbotError, ConfigError
from storage.engine import create_engine, create_read_sessionmaker, create_sessionmaker
from storage.enums import Channel
from storage.migrate import upgrade
from storage.repo.appeals import count_appeals
from storage.repo.cases import count_cases
from storage.seeding import default_seed_dir, load_seed_files
from templates import Templates

log = logging.getLogger(__name__)


async def seed_if_empty(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """Load the shipped seeds into a database without cases or appeals."""
    async with sessions() as session:
        empty = await count_cases(session) == 0 and await count_appeals(session) == 0
    if empty:
        report = await load_seed_files(sessions, [default_seed_dir()])
        log.info("seeded an empty database with %d appeals", report.created)
    return empty


def build_delivery(
    settings: Settings,
    *,
    sessions: async_sessionmaker[AsyncSession],
    reads: async_sessionmaker[AsyncSession],
    templates: Templates,
    limiter: RateLimiter,
) -> DeliveryEngine | None:
    """Build the delivery engine with every channel that is configured."""
    channels: dict[Channel, DeliveryChannel] = {}
    if settings.telegram_token is not None:
        client = BotApiClient(
            api_root=settings.telegram_api_url, token=settings.telegram_token.get_secret_value()
        )
        channels[Channel.TELEGRAM] = TelegramChannel(
            client=client, limiter=limiter, paid=settings.telegram_paid_broadcast
        )
    if not channels:
        return None
    return DeliveryEngine(
        sessions=sessions,
        channels=channels,
        messages=MessageCache(templates, reads),
        config=EngineConfig.for_rate(
            settings.broadcast_rate, lease=settings.delivery_lease_seconds
        ),
    )


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Create the database engine and every service; dispose of the engine on the way out."""
    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    reads = create_read_sessionmaker(engine)
    templates = Templates()
    limiter = RateLimiter(Limits(global_rate=settings.broadcast_rate))
    try:
        yield Services(
            settings=settings,
            sessions=sessions,
            reads=reads,
            templates=templates,
            case_index=CaseIndex(),
            limiter=limiter,
            delivery=build_delivery(
                settings, sessions=sessions, reads=reads, templates=templates, limiter=limiter
            ),
            reporter=ProgressReporter(
                sessions=sessions, reads=reads, templates=templates, buttons=progress_keyboard
            ),
        )
    finally:
        await engine.dispose()


async def report_progress(context: Context) -> None:
    """Job: update the progress messages of running broadcasts."""
    await context.bot_data.services.reporter.tick(context.bot)


async def register_commands(application: AppType) -> None:
    """Publish the command menu Telegram shows next to the text field."""
    await application.bot.set_my_commands(
        [BotCommand(command.name, command.description) for command in PUBLIC_COMMANDS]
    )


def build_application(
    services: Services, *, requests: tuple[BaseRequest, BaseRequest] | None = None
) -> AppType:
    """Build the PTB application with its handlers and typed bot_data.

    ``requests`` (for API calls, for getUpdates) default to aiohttp ones.
    """
    settings = services.settings
    request, updates_request = requests or (AiohttpRequest(), AiohttpRequest(connections=1))
    if settings.telegram_token is None:
        raise ConfigError("APPEALBOT_TELEGRAM_TOKEN is not set")
    job_queue: JobQueue[Context] = JobQueue()
    application = (
        Application.builder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(settings.bot_base_url)
        .context_types(CONTEXT_TYPES)
        .job_queue(job_queue)
        .rate_limiter(InteractiveRateLimiter(services.limiter))
        .concurrent_updates(PerChatUpdateProcessor())
        .request(request)
        .get_updates_request(updates_request)
        .build()
    )
    bot_data: BotData = application.bot_data
    bot_data.wire(services)
    handlers.register(application)
    return application


PROGRESS_EVERY = 3.0


async def serve(settings: Settings, *, stop: asyncio.Event) -> None:
    """Migrate, seed an empty database, then run the bot, delivery, scheduler and HTTP
    endpoints until ``stop`` is set."""
    await upgrade(settings.database_url)
    async with open_services(settings) as services:
        await seed_if_empty(services.sessions)
        health = PollingHealth()
        requests = (AiohttpRequest(), AiohttpRequest(connections=1, health=health))
        application = build_application(services, requests=requests)
        try:
            await application.initialize()
        except (InvalidToken, NetworkError) as exc:
            for request in requests:
                await request.shutdown()
            if isinstance(exc, InvalidToken):
                raise ConfigError(
                    "Telegram refused APPEALBOT_TELEGRAM_TOKEN: copy the token again from "
                    "@BotFather"
                ) from None
            raise AppealbotError(
                f"could not reach the Bot API at {settings.telegram_api_url} ({exc.message}); "
                "check the network or APPEALBOT_TELEGRAM_API_URL"
            ) from None
        delivery = services.delivery
        try:
            await register_commands(application)
            await application.start()
            assert application.updater is not None
            assert application.job_queue is not None
            await application.updater.start_polling(
                allowed_updates=Update.ALL_TYPES, error_callback=health.failed
            )
            if delivery is not None:
                await delivery.start()
            application.job_queue.run_repeating(
                report_progress, interval=PROGRESS_EVERY, first=1.0, name="broadcast-progress"
            )
            web_runner = await start_web(services)
            log.info("appealbot is running")
            await stop.wait()
            log.info("stopping")
            rate_limiter = application.bot.rate_limiter
            if isinstance(rate_limiter, InteractiveRateLimiter):
                rate_limiter.stop_retrying()
            await web_runner.cleanup()
            await application.updater.stop()
            if delivery is not None:
                await delivery.stop()
            await application.stop()
        finally:
            await application.shutdown()
