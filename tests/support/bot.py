"""Run the real service in-process against the emulator."""

from __future__ import annotations

import asyncio
import faulthandler
import functools
import gc
import os
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Overrides, serve
from bot.config import Settings
from bot.telegram.updates import HandledUpdates
from emulator import BotApiEmulator
from storage.engine import create_engine, create_sessionmaker
from storage.sealed import SEALER
from tests.support.app import quick_settings
from tests.support.keys import TEST_SEALER


def bot_settings(emulator: BotApiEmulator, database_url: str, **overrides: Any) -> Settings:
    """Return settings pointing the service at the emulator and a test database."""
    values: dict[str, Any] = {
        "telegram_token": emulator.token,
        "telegram_api_url": emulator.api_root,
        "database_url": database_url,
        "http_port": 0,
        **overrides,
    }
    return quick_settings(**values)


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


async def handled_within(tracker: HandledUpdates, update_id: int, timeout: float = 10.0) -> None:
    """Wait until the service has handled an update, for at most ``timeout`` seconds."""
    try:
        async with asyncio.timeout(timeout):
            await tracker.wait(update_id)
    except TimeoutError:
        raise TimeoutError(f"update {update_id} was not handled in {timeout} s") from None


async def handled(emulator: BotApiEmulator, *update_ids: int, timeout: float = 10.0) -> None:
    """Wait until the service (run by ``running_bot``) has handled these updates."""
    assert emulator.handled is not None, "the service is not running"
    for update_id in update_ids:
        await emulator.handled(update_id, timeout)


def holders(database_url: str) -> list[str]:
    """Return the processes that have a SQLite database's files open (pid and command)."""
    path = database_url.partition(":///")[2]
    found = []
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            opened = [os.readlink(fd) for fd in fd_dir.iterdir()]
            command = (fd_dir.parent / "cmdline").read_bytes().replace(b"\0", b" ")[:120]
        except OSError:
            continue
        if path and any(name.startswith(path) for name in opened):
            found.append(f"{fd_dir.parent.name}: {command.decode(errors='replace')}")
    return found


def awaiting(task: asyncio.Task[Any]) -> list[str]:
    """Return where a task waits: each coroutine of its chain of awaits, outermost first."""
    chain: list[str] = []
    coroutine: Any = task.get_coro()
    while coroutine is not None:
        frame = getattr(coroutine, "cr_frame", None) or getattr(coroutine, "gi_frame", None)
        if frame is not None:
            chain.append(f"{frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}")
        coroutine = getattr(coroutine, "cr_await", None) or getattr(coroutine, "gi_yieldfrom", None)
    return chain


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
    handled = HandledUpdates()
    emulator.handled = functools.partial(handled_within, handled)
    task = asyncio.create_task(serve(settings, stop=stop, overrides=Overrides(handled=handled)))
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
        emulator.handled = None
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=20)
        except TimeoutError:
            # Say where the service is stuck before failing the test: every task's whole
            # chain of awaits, and every thread (the database driver's among them).
            for stuck in asyncio.all_tasks():
                print("task", stuck.get_name(), *awaiting(stuck), sep="\n  ", file=sys.stderr)
            faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
            for found in gc.get_objects():
                if isinstance(found, sqlite3.Connection):
                    try:
                        state = "in a transaction" if found.in_transaction else "idle"
                    except sqlite3.ProgrammingError:
                        state = "closed"
                    print("sqlite connection", id(found), state, file=sys.stderr)
            print("processes with the database open:", *holders(database_url), file=sys.stderr)
            task.cancel()
            raise


@asynccontextmanager
async def sessions_for(url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Open a session factory on a test database (for arranging data and checking rows)."""
    engine = create_engine(url)
    try:
        yield create_sessionmaker(engine, {SEALER: TEST_SEALER})
    finally:
        await engine.dispose()
