"""Delivery test helpers: subscribers in bulk, an engine wired to the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.engine import DeliveryEngine, EngineConfig
from bot.delivery.progress import Progress, follow
from bot.delivery.ratelimit import Limits as OurLimits
from bot.delivery.ratelimit import RateLimiter
from bot.delivery.render import MessageCache
from bot.delivery.telegram_channel import TelegramChannel
from bot.services.publishing import Published, publish
from bot.telegram.client import BotApiClient, ClientOptions
from storage.enums import Channel, SubscriberState
from storage.models import Subscriber, SubscriberCountry
from storage.repo.subscribers import new_token
from storage.types import utcnow
from templates import Templates
from tests.emulator import BotApiEmulator


async def add_subscribers(
    sessions: async_sessionmaker[AsyncSession],
    chat_ids: Iterable[int],
    *,
    urgent_only: bool = False,
    countries: Iterable[str] = (),
    state: SubscriberState = SubscriberState.ACTIVE,
) -> list[int]:
    """Insert active Telegram subscribers for these chats; return their ids."""
    now = utcnow()
    rows = [
        {
            "channel": Channel.TELEGRAM,
            "chat_id": chat_id,
            "chat_type": "private" if chat_id > 0 else "group",
            "state": state,
            "language": "en",
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
        chats = [row["chat_id"] for row in rows]
        found = await session.execute(
            select(Subscriber.id, Subscriber.chat_id).where(Subscriber.chat_id.in_(chats))
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
    sessions: async_sessionmaker[AsyncSession], appeal_id: int, **options: Any
) -> Published:
    """Publish (fan out) an appeal as the command line would."""
    async with sessions.begin() as session:
        return await publish(session, appeal_id, actor="test", **options)


@asynccontextmanager
async def running_engine(
    emulator: BotApiEmulator,
    sessions: async_sessionmaker[AsyncSession],
    reads: async_sessionmaker[AsyncSession],
    *,
    rate: float = 30.0,
    limits: OurLimits | None = None,
    timeout: float = 5.0,
    paid: bool = False,
    grace: float = 10.0,
    **config: Any,
) -> AsyncIterator[DeliveryEngine]:
    """Run a delivery engine that sends to the emulator."""
    limiter = RateLimiter(limits or OurLimits(global_rate=rate))
    client = BotApiClient(
        api_root=emulator.api_root, token=emulator.token, options=ClientOptions(timeout=timeout)
    )
    engine = DeliveryEngine(
        sessions=sessions,
        channels={Channel.TELEGRAM: TelegramChannel(client=client, limiter=limiter, paid=paid)},
        messages=MessageCache(Templates(), reads),
        config=EngineConfig.for_rate(rate, **config),
    )
    await engine.start()
    try:
        yield engine
    finally:
        await engine.stop(grace=grace)


async def until_done(
    reads: async_sessionmaker[AsyncSession], appeal_id: int, *, every: float = 0.1
) -> Progress:
    """Wait until an appeal's broadcast has nothing left."""
    return await follow(reads, appeal_id, report=lambda _progress: None, every=every)
