"""The composition root: settings -> database -> delivery -> services -> Application.

Everything is wired here and only here. ``appealbot run``, every command-line command, the
tests and the benchmarks all build what they need with ``open_app`` (tests and benchmarks
pass explicit ``Overrides``), so what they exercise is what production runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application, JobQueue
from telegram.request import BaseRequest

from bot import handlers
from bot.channels import Channel, Parts, email, matrix, telegram, webhook
from bot.channels.outbox import Outbox
from bot.config import Settings
from bot.context import CONTEXT_TYPES, AppType, BotData, Context
from bot.delivery.channels import Can
from bot.delivery.engine import DeliveryEngine
from bot.delivery.engine_config import EngineConfig
from bot.extract.fetch import FetchOptions
from bot.handlers import menus
from bot.handlers.table import COMMANDS
from bot.jobs import sweeps
from bot.jobs.progress_message import ProgressReporter
from bot.jobs.wall_clock import WallClockWatch
from bot.presentation.labels import case_status_label
from bot.presentation.render import Presenter
from bot.services import Services
from bot.services.admins import AdminService
from bot.services.appeal_writer import AppealWriter
from bot.services.appeals import AppealService
from bot.services.broadcasts import BroadcastService
from bot.services.case_index import CaseIndex
from bot.services.cases import CaseService
from bot.services.delivery_signals import DeliverySignals, NoDelivery
from bot.services.drafts import DraftService
from bot.services.email import EmailService
from bot.services.imports import ImportService
from bot.services.keys import KeyService
from bot.services.maintenance import BOT_HOLD_SECONDS, MaintenanceService, this_process
from bot.services.mirrors import MirrorService
from bot.services.monitoring import MonitoringService
from bot.services.outcomes import OutcomeService
from bot.services.public import PublicService
from bot.services.publishing import PublishingService
from bot.services.references import Resolver
from bot.services.sources import SourceService
from bot.services.stats import StatsService
from bot.services.subscriptions import SubscriptionService
from bot.services.timekeeper import Schedule, Timekeeper
from bot.telegram.client import BotApiClient, ClientOptions
from bot.telegram.flood import FloodLimiter, FloodLimits
from bot.telegram.mirror import ChannelMirror
from bot.telegram.ptb_limiter import PtbRateLimiter
from bot.telegram.request import AiohttpRequest, PollingHealth
from bot.telegram.updates import Handled, PerChatUpdateProcessor
from bot.web import start_web
from bot.web.pages import Pages
from bot.web.site_pages import Site
from bot.web.telegram_updates import UpdateHook
from core.errors import AlreadyRunningError, AppealbotError, BadUpdateError, ConfigError
from core.keyfile import FixedKeys, KeyFile, Keys, default_key_file
from core.pseudonyms import Pseudonyms
from core.sealing import DataKey, KeyRing, Sealer
from core.timing import Clock, system_clock
from storage.database import Database
from storage.engine import create_engine
from storage.items import Item, Publication, Reminder, Withdrawal
from storage.keys import settle_keys
from storage.migrate import require_current, upgrade
from storage.standing import AgePolicy

log = logging.getLogger(__name__)


class Migrate(StrEnum):
    UPGRADE = "upgrade"  # bring the database to the newest revision first
    REQUIRE = "require"  # refuse to work on a database that is not at the newest revision
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Overrides:
    """Explicit replacements, for tests and benchmarks; production uses none."""

    # Channels besides (or, with ``only_channels``, instead of) the configured ones.
    channels: Sequence[Channel] = ()
    only_channels: bool = False
    engine: EngineConfig | None = None
    limits: FloodLimits | None = None
    client: ClientOptions | None = None
    fetch: FetchOptions | None = None
    clock: Clock | None = None  # what time it is: appeals' ages, reminders, digests, sweeps
    handled: Handled | None = None  # told each update's id once it was handled


@dataclass(slots=True)
class App:
    """Everything the service is made of, built once."""

    settings: Settings
    db: Database
    presenter: Presenter
    limiter: FloodLimiter
    api: BotApiClient | None
    delivery: DeliveryEngine | None
    services: Services
    reporter: ProgressReporter
    overrides: Overrides
    channels: Sequence[Channel]
    site: Site

    async def learn_username(self) -> None:
        """Learn the bot's username from the Bot API, unless it is configured."""
        if self.api is not None and self.settings.bot_username is None:
            me = await self.api.call("getMe", {})
            self.presenter.bot_username = me.get("username")

    async def introduce(self) -> None:
        """Learn the bot's username, and make each channel's mirrors the configured ones (a
        Telegram channel's id, too, is asked of the Bot API)."""
        await self.learn_username()
        for channel in self.channels:
            mirrors = await channel.mirrors()
            if mirrors is not None:
                await self.services.mirrors.sync(channel.name, mirrors)


def build_api(settings: Settings, overrides: Overrides) -> BotApiClient | None:
    """Return the lean Bot API client, if a token is configured."""
    if settings.telegram_token is None:
        return None
    return BotApiClient(
        api_root=settings.telegram_api_url,
        token=settings.telegram_token.get_secret_value(),
        options=overrides.client,
    )


Build = Callable[[Settings, Parts], Channel | None]


def channel_builds(bot: telegram.TheBot) -> tuple[Build, ...]:
    """Return every channel the service can send through: a module's ``build``, which returns
    the channel when its settings are there (else None). A new channel is one more line here;
    Telegram's is given what it shares with the bot's replies."""
    return (
        functools.partial(telegram.build, bot=bot),
        email.build,
        webhook.build,
        matrix.build,
    )


@runtime_checkable
class Probed(Protocol):
    """A channel whose service can be asked whether it answers (an SMTP relay)."""

    async def reachable(self) -> bool:
        """Tell whether the service answers now."""


def build_channels(
    settings: Settings, parts: Parts, bot: telegram.TheBot, overrides: Overrides
) -> list[Channel]:
    """Return a channel for every way of sending that is configured."""
    builds = () if overrides.only_channels else channel_builds(bot)
    built = [build(settings, parts) for build in builds]
    return [channel for channel in (*built, *overrides.channels) if channel is not None]


def build_keys(settings: Settings) -> Keys:
    """Return the data key's source: APPEALBOT_DATA_KEY, else the key file."""
    if settings.data_key is not None:
        return FixedKeys(KeyRing(DataKey.from_text(settings.data_key.get_secret_value())))
    return KeyFile(settings.key_file or default_key_file())


def build_pseudonyms(settings: Settings) -> Pseudonyms:
    """Return the keyed hashes, keyed by APPEALBOT_SECRET_KEY (else by the bot token)."""
    for secret in (settings.secret_key, settings.telegram_token):
        if secret is not None:
            return Pseudonyms.derived(secret.get_secret_value())
    # No Telegram, so no protests to count: a key for this process only.
    return Pseudonyms(secrets.token_bytes(32))


def build_services(
    settings: Settings,
    db: Database,
    *,
    delivery: DeliverySignals,
    fetch: FetchOptions,
    ages: AgePolicy,
    mirror: ChannelMirror,
    channels: Sequence[Channel] = (),
    engine: DeliveryEngine | None = None,
    keys: Keys | None = None,
) -> Services:
    """Build every service over one database, telling ``delivery`` what to send."""
    clock = ages.clock
    index = CaseIndex()
    writer = AppealWriter(index=index, today=ages.today)

    def rendering(kind: type[Item]) -> tuple[str, ...]:
        return tuple(channel.name for channel in channels if kind in channel.renders)

    admins_on = next(
        (
            c.name
            for c in channels
            if c.name == settings.admin_channel and Can.REACH_ADMINS in c.can
        ),
        None,
    )
    names = {channel.name for channel in channels}
    probes = {c.name: c.reachable for c in channels if isinstance(c, Probed)}
    publishing = PublishingService(
        db,
        delivery=delivery,
        index=index,
        channels=rendering(Publication),
        paid=settings.telegram_paid_broadcast,
        clock=clock,
        withdrawing=rendering(Withdrawal),
        admins_on=admins_on,
        second_admin_above=settings.second_admin_above,
        configured_admins=settings.admin_ids,
    )
    pseudonyms = build_pseudonyms(settings)
    schedule = Schedule(
        keep_deliveries=timedelta(days=settings.delivery_retention_days),
        keep_audit_details=timedelta(days=settings.audit_retention_days),
    )
    cases = CaseService(db, ages=ages, chats_on=telegram.NAME)
    appeals = AppealService(db, ages=ages, pseudonyms=pseudonyms)
    admins = AdminService(db, configured=settings.admin_ids, admins_on=admins_on, clock=ages.clock)
    return Services(
        mirror=mirror,
        mirrors=MirrorService(db),
        maintenance=MaintenanceService(db),
        db=db,
        index=index,
        resolver=Resolver(db, index),
        cases=cases,
        appeals=appeals,
        drafts=DraftService(
            db,
            index=index,
            publishing=publishing,
            writer=writer,
            fetch_options=fetch,
            today=ages.today,
        ),
        imports=ImportService(db, index=index, writer=writer, today=ages.today),
        publishing=publishing,
        broadcasts=BroadcastService(db, clock=clock),
        outcomes=OutcomeService(db, publishing=publishing, clock=clock, label=case_status_label),
        subscriptions=SubscriptionService(
            db, clock=clock, chats_on=telegram.NAME, delivery=delivery, pseudonyms=pseudonyms
        ),
        email=EmailService(
            db,
            enabled=email.NAME in names,
            channel=email.NAME,
            clock=clock,
            delivery=delivery,
            check_deliverability=settings.email_check_deliverability,
            pseudonyms=pseudonyms,
        ),
        admins=admins,
        stats=StatsService(db),
        keys=KeyService(
            db, keys or FixedKeys(db.sealer.ring), clock=ages.clock, network=settings.site_name
        ),
        monitoring=MonitoringService(
            db,
            smtp=probes.get(email.NAME),
            delivery_alive=(lambda: engine.alive) if engine is not None else None,
            writes_ok=(lambda: not engine.started or engine.holds) if engine is not None else None,
            outcomes=(lambda: dict(engine.stats.outcomes)) if engine is not None else dict,
        ),
        time=Timekeeper(
            db,
            clock=ages.clock,
            delivery=delivery,
            channels=rendering(Reminder),
            pseudonyms=pseudonyms,
            schedule=schedule,
            protests_on=tuple(c.name for c in channels if Can.COUNT_PROTESTS in c.can),
        ),
        sources=SourceService(
            db,
            index=index,
            writer=writer,
            admins=admins,
            delivery=delivery,
            fetch_options=fetch,
            clock=clock,
            admins_on=admins_on,
            every=timedelta(minutes=settings.sources_every_minutes),
        ),
        public=PublicService(db, ages=ages, appeals=appeals, cases=cases, pseudonyms=pseudonyms),
    )


@asynccontextmanager
async def open_app(
    settings: Settings,
    *,
    migrate: Migrate = Migrate.REQUIRE,
    overrides: Overrides | None = None,
) -> AsyncIterator[App]:
    """Build the whole service over its database; close the database on the way out."""
    overrides = overrides or Overrides()
    keys = build_keys(settings)
    if migrate is Migrate.UPGRADE:
        await upgrade(settings.database_url, keys=keys)
    db = Database(create_engine(settings.database_url), Sealer(keys))
    try:
        if migrate is Migrate.REQUIRE:
            await require_current(db.engine)
        await settle_keys(db, keys, (overrides.clock or system_clock)())
        ages = AgePolicy(
            archive_after_months=settings.archive_after_months,
            clock=overrides.clock or system_clock,
        )
        presenter = Presenter(
            ages=ages, public_url=settings.public_url, safety_notes=settings.safety_notes
        )
        presenter.bot_username = settings.bot_username
        limiter = FloodLimiter(
            overrides.limits
            or FloodLimits(
                global_rate=settings.telegram_rate, paid_rate=settings.telegram_paid_rate
            )
        )
        api = build_api(settings, overrides)
        mirror = ChannelMirror(settings.telegram_channel)
        parts = Parts(presenter=presenter, clock=ages.clock, public_url=settings.public_url)
        the_bot = telegram.TheBot(api=api, limiter=limiter, mirror=mirror)
        channels = build_channels(settings, parts, the_bot, overrides)
        delivery = None
        if channels:
            by_name = {channel.name: channel for channel in channels}
            delivery = DeliveryEngine(
                db=db,
                channels=by_name,
                messages=Outbox(presenter, db, by_name, clock=ages.clock),
                clock=ages.clock,
                config=overrides.engine
                or EngineConfig.for_rate(
                    settings.broadcast_rate,
                    lease=settings.delivery_lease_seconds,
                    heartbeat=settings.delivery_heartbeat_seconds,
                    stale_after=3 * settings.delivery_heartbeat_seconds,
                    backoff_first=settings.retry_backoff_seconds,
                ),
            )
        fetch = overrides.fetch or FetchOptions.for_settings(
            allow_private=settings.fetch_allow_private
        )
        services = build_services(
            settings,
            db,
            delivery=delivery or NoDelivery(),
            fetch=fetch,
            ages=ages,
            mirror=mirror,
            channels=channels,
            engine=delivery,
            keys=keys,
        )
        yield App(
            settings=settings,
            db=db,
            presenter=presenter,
            limiter=limiter,
            api=api,
            delivery=delivery,
            services=services,
            reporter=ProgressReporter(
                broadcasts=services.broadcasts,
                presenter=presenter,
                clock=ages.clock,
                limits=limiter.status,
                unwritable=(lambda: delivery.database_unwritable) if delivery else lambda: False,
            ),
            overrides=overrides,
            channels=channels,
            site=Site(
                services.public,
                presenter,
                name=settings.site_name,
                image=settings.share_image_url,
                bot=lambda: presenter.bot_username,
            ),
        )
    finally:
        await db.dispose()


def build_application(
    app: App, *, requests: tuple[BaseRequest, BaseRequest] | None = None
) -> AppType:
    """Build the PTB application with its handlers and typed bot_data.

    ``requests`` (for API calls, for getUpdates) default to aiohttp ones.
    """
    settings = app.settings
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
        .rate_limiter(PtbRateLimiter(app.limiter))
        .concurrent_updates(PerChatUpdateProcessor(handled=app.overrides.handled))
        .request(request)
        .get_updates_request(updates_request)
        .build()
    )
    bot_data: BotData = application.bot_data
    bot_data.wire(services=app.services, presenter=app.presenter, commands=COMMANDS)
    handlers.register(application)

    def admin_changed(user_id: int, is_admin: bool) -> None:
        application.create_task(menus.admin_changed(application.bot, user_id, is_admin=is_admin))

    app.services.admins.on_change = admin_changed
    return application


def webhook_secret(settings: Settings) -> str:
    """Return the secret Telegram sends with every webhook request (derived if not set)."""
    if settings.webhook_secret is not None:
        return settings.webhook_secret.get_secret_value()
    assert settings.telegram_token is not None
    token = settings.telegram_token.get_secret_value().encode()
    return hmac.new(token, b"appealbot webhook", hashlib.sha256).hexdigest()


def webhook_for(settings: Settings, application: AppType) -> UpdateHook | None:
    """Return the webhook endpoint, in webhook mode (APPEALBOT_WEBHOOK_URL set)."""
    if not settings.webhook_url:
        return None

    async def accept(data: dict[str, Any]) -> None:
        try:
            update = Update.de_json(data, application.bot)
        except (TypeError, ValueError, AttributeError, KeyError, RecursionError) as exc:
            raise BadUpdateError(str(exc)) from None
        await application.update_queue.put(update)

    path = urlsplit(settings.webhook_url).path or "/telegram"
    return UpdateHook(path=path, secret=webhook_secret(settings), accept=accept)


async def _report_progress(context: Context) -> None:
    reporter = context.job.data if context.job else None
    if isinstance(reporter, ProgressReporter):
        await reporter.tick(context.bot)


@asynccontextmanager
async def _holding_the_bot(app: App, stop: asyncio.Event) -> AsyncIterator[None]:
    """Hold the bot for this process while the block runs: a second `appealbot run` on the
    same database would answer every user twice, so it is refused; losing the hold (the
    database says another run has it) stops this one."""
    maintenance, holder = app.services.maintenance, this_process()
    held_by = await maintenance.hold_the_bot(holder)
    if held_by is not None:
        raise AlreadyRunningError(
            f"another `appealbot run` (process {held_by.partition('/')[0]}) answers this bot "
            "on this database; "
            f"stop it first (if it was killed, start again in {BOT_HOLD_SECONDS:.0f} s)"
        )

    async def keep() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=BOT_HOLD_SECONDS / 3)
            if stop.is_set():
                return
            try:
                held_by = await maintenance.hold_the_bot(holder)
            except Exception:
                log.exception("renewing this process's hold on the bot failed; trying again")
                continue
            if held_by is not None:
                log.error("process %s took the bot over: this one stops", held_by)
                stop.set()

    keeper = asyncio.create_task(keep(), name="bot-hold")
    try:
        yield
    finally:
        keeper.cancel()
        await asyncio.gather(keeper, return_exceptions=True)
        with contextlib.suppress(Exception):
            await maintenance.release_the_bot(holder)


async def serve(
    settings: Settings, *, stop: asyncio.Event, overrides: Overrides | None = None
) -> None:
    """Migrate, seed an empty database, then run the bot, delivery, scheduler and HTTP
    endpoints until ``stop`` is set."""
    async with (
        open_app(settings, migrate=Migrate.UPGRADE, overrides=overrides) as app,
        _holding_the_bot(app, stop),
    ):
        await app.services.maintenance.seed_if_empty()
        health = PollingHealth()
        requests = (AiohttpRequest(), AiohttpRequest(connections=1, health=health))
        application = build_application(app, requests=requests)
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
        delivery = app.delivery
        web_runner: web.AppRunner | None = None
        try:
            await app.introduce()
            await menus.publish_menu(application.bot)
            await application.start()
            assert application.updater is not None
            assert application.job_queue is not None
            if delivery is not None:
                await delivery.start()
            # The web endpoints (health, email links) answer before the bot takes updates.
            pages = Pages(app.presenter.templates)
            hook = webhook_for(settings, application)
            web_runner = await start_web(app.settings, app.services, pages, app.site, hook)
            if hook is not None:
                await application.bot.set_webhook(
                    url=str(settings.webhook_url),
                    secret_token=hook.secret,
                    allowed_updates=Update.ALL_TYPES,
                )
                log.info("taking updates by webhook")
            else:
                await application.updater.start_polling(
                    allowed_updates=Update.ALL_TYPES, error_callback=health.failed
                )
            # Nothing is scheduled in memory: each tick reads what is due from the database,
            # so a restart loses and repeats nothing.
            application.job_queue.run_repeating(
                sweeps.tick, interval=sweeps.TICK_EVERY, first=5.0, name="timekeeper"
            )
            application.job_queue.run_repeating(
                sweeps.sweep, interval=sweeps.SWEEP_EVERY, first=30.0, name="sweep"
            )
            application.job_queue.run_repeating(
                sweeps.poll_sources,
                interval=settings.sources_every_minutes * 60,
                first=60.0,
                name="sources",
            )
            application.job_queue.run_repeating(
                _report_progress,
                interval=settings.progress_every_seconds,
                first=1.0,
                name="broadcast-progress",
                data=app.reporter,
            )
            watch = asyncio.create_task(
                WallClockWatch(application.job_queue).run(stop), name="wall-clock-watch"
            )
            log.info("appealbot is running")
            await stop.wait()
            log.info("stopping")
            await watch
        finally:
            # Also when starting failed half way: the real reason is what propagates.
            rate_limiter = application.bot.rate_limiter
            if isinstance(rate_limiter, PtbRateLimiter):
                rate_limiter.stop_retrying()
            if web_runner is not None:
                await web_runner.cleanup()
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            if delivery is not None and delivery.started:
                await delivery.stop()
            if application.running:
                await application.stop()
            await application.shutdown()


async def serve_web(
    settings: Settings,
    *,
    stop: asyncio.Event,
    ready: asyncio.Event | None = None,
    overrides: Overrides | None = None,
) -> None:
    """Serve only the HTTP endpoints (pages, feeds, calendars, email links) until ``stop``
    is set: one of several behind a reverse proxy, beside the bot on the same database."""
    async with open_app(settings, migrate=Migrate.REQUIRE, overrides=overrides) as app:
        try:
            await app.learn_username()
        except AppealbotError as exc:
            log.warning("the bot's username is unknown (%s): pages go without its links", exc)
        runner = await start_web(
            app.settings, app.services, Pages(app.presenter.templates), app.site
        )
        log.info("serving the HTTP endpoints")
        if ready is not None:
            ready.set()
        await stop.wait()
        await runner.cleanup()
