"""The public pages as `appealbot web` serves them: no bot, a seeded database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.app import Overrides, serve_web
from core.timing import Clock
from tests.support.app import quick_settings
from tests.support.smtp import free_port

BOT = "appeals_test_bot"


@asynccontextmanager
async def running_site(
    database_url: str, *, clock: Clock | None = None, **values: Any
) -> AsyncIterator[str]:
    """Serve the HTTP endpoints alone until the block ends; give their root URL."""
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    settings = quick_settings(
        database_url=database_url,
        http_port=port,
        public_url=root,
        bot_username=BOT,
        **values,
    )
    stop, ready = asyncio.Event(), asyncio.Event()
    overrides = Overrides(clock=clock)
    task = asyncio.create_task(serve_web(settings, stop=stop, ready=ready, overrides=overrides))
    waiting = asyncio.create_task(ready.wait())
    await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiting.cancel()
        task.result()  # raises what stopped it
        raise RuntimeError("the web server stopped before it was ready")
    try:
        yield root
    finally:
        stop.set()
        await task
