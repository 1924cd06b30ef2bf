"""Scale-out: two `appealbot worker` processes on one PostgreSQL database, one killed."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from bot.channels.telegram import TelegramChannel
from bot.delivery.engine_config import EngineConfig
from emulator import BotApiEmulator
from storage.database import Database
from storage.engine import create_engine, create_sessionmaker
from storage.enums import DeliveryState
from storage.migrate import upgrade
from storage.models import Delivery, Lease, Subscriber, Worker
from storage.sealed import SEALER
from storage.seeding import default_seed_dir, load_seed_files
from tests.support.databases import postgres_database
from tests.support.delivery import add_subscribers, publish_appeal
from tests.support.groups import TIMED
from tests.support.keys import TEST_SEALER
from tests.support.processes import clean_env, start_worker

MAY_DAY = 3
READERS = 10_000
PAID_RATE = 1000.0


@TIMED
async def test_two_workers_on_postgres_send_10000_once_without_429_and_survive_a_kill(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    async with postgres_database() as url:
        await upgrade(url)
        engine = create_engine(url)
        sessions = create_sessionmaker(engine, {SEALER: TEST_SEALER})
        try:
            await load_seed_files(Database(engine, TEST_SEALER), [default_seed_dir()])
            chats = list(range(10_000_001, 10_000_001 + READERS))
            await add_subscribers(sessions, chats)
            await publish_appeal(url, MAY_DAY, paid=True)
            env = clean_env(
                APPEALBOT_TELEGRAM_TOKEN=emulator.token,
                APPEALBOT_TELEGRAM_API_URL=emulator.api_root,
                APPEALBOT_DATABASE_URL=url,
                APPEALBOT_TELEGRAM_PAID_BROADCAST="true",
            )
            workers = [await start_worker(env, tmp_path) for _ in range(2)]
            try:
                await emulator.wait_until(lambda: emulator.stats["delivered"] >= 3_000, timeout=60)
                # Kill -9 whichever holds the Telegram role, mid-broadcast.
                async with sessions() as session:
                    holder = await session.scalar(
                        select(Lease.holder).where(Lease.name == TelegramChannel.role)
                    )
                    name = await session.scalar(select(Worker.name).where(Worker.id == holder))
                assert name is not None
                pid = int(name.rsplit(":", 1)[1])
                [victim] = [process for process in workers if process.pid == pid]
                victim.send_signal(signal.SIGKILL)
                await victim.wait()
                killed_at = time.monotonic()
                async with sessions() as session:
                    sealed = await session.scalars(
                        select(Subscriber.address_sealed)
                        .select_from(Delivery)
                        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
                        .where(Delivery.claimed_by == holder)
                    )
                    opened = (TEST_SEALER.open("telegram", value) for value in sealed)
                    stranded = {int(address) for address in opened if address is not None}
                stalled = emulator.stats["delivered"]
                await emulator.wait_until(
                    lambda: emulator.stats["delivered"] > stalled + 100, timeout=30
                )
                took_over = time.monotonic() - killed_at
                deadline = time.monotonic() + 120
                while True:
                    async with sessions() as session:
                        sent = await session.scalar(
                            select(func.count()).where(Delivery.state == DeliveryState.SENT)
                        )
                    if sent == READERS or time.monotonic() > deadline:
                        break
                    # Another process records the outcomes: only the database can say.
                    await asyncio.sleep(0.1)
                [survivor] = [process for process in workers if process is not victim]
                survivor.send_signal(signal.SIGTERM)
                _, stderr = await asyncio.wait_for(survivor.communicate(), timeout=30)
                assert survivor.returncode == 0, stderr.decode()[-2000:]
            finally:
                for process in workers:
                    if process.returncode is None:
                        process.kill()
                        await process.wait()
            async with sessions() as session:
                states = Counter(await session.scalars(select(Delivery.state)))
                claimed = await session.scalar(
                    select(func.count()).where(Delivery.claimed_by.is_not(None))
                )
        finally:
            await engine.dispose()
    received = Counter({chat: len(emulator.sent(chat)) for chat in chats})
    assert min(received.values()) == 1, "nobody lost"
    twice = {chat for chat, count in received.items() if count > 1}
    # Only what the killed worker had on the wire can go twice (nobody can know whether
    # Telegram got it); everything else goes exactly once.
    assert twice <= stranded
    assert len(twice) <= EngineConfig.for_rate(PAID_RATE).max_in_flight
    assert emulator.stats["http_429"] == 0, "one bot's budget, never exceeded"
    assert states == Counter({DeliveryState.SENT: READERS})
    assert claimed == 0
    assert took_over <= 15, took_over
