"""Run the real service in-process against the emulator."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import serve
from bot.config import Settings
from emulator import BotApiEmulator
from storage.database import Database
from storage.engine import create_engine, create_sessionmaker
from storage.migrate import upgrade
from storage.seeding import default_seed_dir, load_seed_files


def seeded_sqlite_template(path: Path) -> Path:
    """Create a migrated SQLite file holding the shipped seeds."""

    async def build() -> None:
        url = f"sqlite+aiosqlite:///{path}"
        await upgrade(url)
        engine = create_engine(url)
        try:
            report = await load_seed_files(Database(engine), [default_seed_dir()])
            assert not report.refused, report.refused
        finally:
            await engine.dispose()

    asyncio.run(build())
    return path


def bot_settings(emulator: BotApiEmulator, database_url: str, **overrides: Any) -> Settings:
    """Return settings pointing the service at the emulator and a test database."""
    values: dict[str, Any] = {
        "telegram_token": emulator.token,
        "telegram_api_url": emulator.api_root,
        "database_url": database_url,
        "http_port": 0,
        **overrides,
    }
    return Settings(_env_file=None, **values)


async def wait_until_polling(emulator: BotApiEmulator, *, timeout: float = 20.0) -> None:
    """Wait until the bot has started long polling."""
    deadline = time.monotonic() + timeout
    while emulator.world.counters.calls["getupdates"] < 1:
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not start polling")
        await asyncio.sleep(0.02)


async def wait_until_webhook(emulator: BotApiEmulator, *, timeout: float = 20.0) -> None:
    """Wait until the bot has registered its webhook."""
    deadline = time.monotonic() + timeout
    while emulator.world.webhook is None:
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not register its webhook")
        await asyncio.sleep(0.02)


@asynccontextmanager
async def running_bot(
    emulator: BotApiEmulator,
    database_url: str,
    *,
    admin_ids: Iterable[int] = (),
    **overrides: Any,
) -> AsyncIterator[Settings]:
    """Run ``serve`` until the block ends; fail the test if the service crashed."""
    settings = bot_settings(
        emulator, database_url, admin_ids=",".join(str(i) for i in admin_ids), **overrides
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop=stop))
    waiter = asyncio.create_task(
        wait_until_webhook(emulator) if settings.webhook_url else wait_until_polling(emulator)
    )
    done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        waiter.cancel()
        task.result()
        raise RuntimeError("the service stopped before it started polling")
    await waiter
    try:
        yield settings
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)


@asynccontextmanager
async def sessions_for(url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Open a session factory on a test database (for arranging data and checking rows)."""
    engine = create_engine(url)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()
