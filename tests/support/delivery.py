"""Delivery test helpers: subscribers in bulk, an engine wired to the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import App, Overrides
from bot.delivery.engine import DeliveryEngine
from bot.delivery.engine_config import EngineConfig
from bot.delivery.figures import Progress, follow
from bot.services.actors import Actor
from bot.services.publishing import Published
from bot.telegram.client import ClientOptions
from bot.telegram.flood import FloodLimits
from core.timing import Clock, system_clock
from emulator import BotApiEmulator
from storage.database import Database
from storage.enums import DatePrecision, SubscriberState
from storage.models import Appeal, Subscriber, SubscriberCountry
from storage.repo.subscribers import new_token
from tests.support.app import SHORT_WAITS, app_for
from tests.support.bot import sessions_for
from tests.support.keys import sealed


async def add_subscribers(
    sessions: async_sessionmaker[AsyncSession],
    chat_ids: Iterable[int | str],
    *,
    urgent_only: bool = False,
    countries: Iterable[str] = (),
    state: SubscriberState = SubscriberState.ACTIVE,
    language: str = "en",
    channel: str = "telegram",
) -> list[int]:
    """Insert active subscribers at these addresses (Telegram chats unless ``channel`` says
    otherwise); return their ids."""
    now = system_clock()
    rows = [
        {
            "channel": channel,
            **sealed(channel, str(chat_id)),
            "kind": None if isinstance(chat_id, str) else "private" if chat_id > 0 else "group",
            "state": state,
            "language": language,
            "urgent_only": urgent_only,
            "digest": False,
            "unsubscribe_token": new_token(),
            "created_at": now,
            "updated_at": now,
        }
        for chat_id in chat_ids
    ]
    async with sessions.begin() as session:
        await session.execute(insert(Subscriber), rows)
        hashes = [row["address_hash"] for row in rows]
        found = await session.execute(
            select(Subscriber.id)
            .where(Subscriber.channel == channel, Subscriber.address_hash.in_(hashes))
            .order_by(Subscriber.id)
        )
        ids = [row.id for row in found]
        codes = list(countries)
        if codes:
            await session.execute(
                insert(SubscriberCountry),
                [{"subscriber_id": sid, "country": code} for sid in ids for code in codes],
            )
    return ids


async def publish_appeal(
    database_url: str,
    appeal_id: int,
    *,
    progress_chat_id: int | None = None,
    paid: bool = False,
    **settings: Any,
) -> Published:
    """Publish (fan out) an appeal as the command line would (``settings``: e.g. SMTP's)."""
    async with app_for(database_url, telegram_paid_broadcast=paid, **settings) as app:
        return await app.services.publishing.publish(
            appeal_id, actor=Actor("test"), progress_chat_id=progress_chat_id
        )


@asynccontextmanager
async def running_app(
    emulator: BotApiEmulator,
    database_url: str,
    *,
    rate: float = 30.0,
    limits: FloodLimits | None = None,
    timeout: float = 5.0,
    paid: bool = False,
    grace: float = 10.0,
    clock: Clock | None = None,
    settings: Mapping[str, Any] | None = None,
    **config: Any,
) -> AsyncIterator[App]:
    """Run the service with its delivery engine, sending to the emulator (``clock``: this
    process's own idea of the time, if not the machine's)."""
    free = 30.0 if paid else rate
    heartbeat = SHORT_WAITS["delivery_heartbeat_seconds"]
    short = {
        "backoff_first": SHORT_WAITS["retry_backoff_seconds"],
        "heartbeat": heartbeat,
        "stale_after": 3 * heartbeat,
    }
    overrides = Overrides(
        engine=EngineConfig.for_rate(rate, **{**short, **config}),
        limits=limits or FloodLimits(global_rate=free, paid_rate=rate),
        client=ClientOptions(timeout=timeout),
        clock=clock,
    )
    values: dict[str, Any] = {
        "telegram_token": emulator.token,
        "telegram_api_url": emulator.api_root,
        "telegram_rate": free,
        "telegram_paid_broadcast": paid,
        "telegram_paid_rate": rate,
        **(settings or {}),
    }
    async with app_for(database_url, overrides=overrides, **values) as app:
        engine = app.delivery
        assert engine is not None
        await engine.start()
        try:
            yield app
        finally:
            await engine.stop(grace=grace)


@asynccontextmanager
async def running_engine(
    emulator: BotApiEmulator, database_url: str, **options: Any
) -> AsyncIterator[DeliveryEngine]:
    """Run the service's delivery engine, sending to the emulator (see ``running_app``)."""
    async with running_app(emulator, database_url, **options) as app:
        assert app.delivery is not None
        yield app.delivery


async def until_done(db: Database, appeal_id: int, *, every: float = 0.1) -> Progress:
    """Wait until an appeal's broadcast has nothing left."""
    return await follow(db, appeal_id, report=lambda _progress: None, every=every)


async def eventually(condition: Callable[[], bool], *, timeout: float = 10.0) -> None:
    """Wait until ``condition()`` holds (a state of our own side, looked at every 20 ms)."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def make_current(database_url: str, *appeal_ids: int, days_ago: int = 2) -> None:
    """Date seeded appeals as if published this week, so that they ask for action again."""
    issued = system_clock().date() - timedelta(days=days_ago)
    async with sessions_for(database_url) as sessions, sessions.begin() as session:
        await session.execute(
            update(Appeal)
            .where(Appeal.id.in_(appeal_ids))
            .values(issued_on=issued, issued_precision=DatePrecision.DAY)
        )


@asynccontextmanager
async def delivering(app: App) -> AsyncIterator[App]:
    """Make the app's mirrors the configured ones and run its delivery engine for the block."""
    assert app.delivery is not None
    await app.introduce()
    await app.delivery.start()
    try:
        yield app
    finally:
        await app.delivery.stop()
