"""Serve web pages on 127.0.0.1 for the tests that fetch links."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager

from aiohttp import web

PageHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def serve_pages(routes: Mapping[str, PageHandler]) -> AsyncIterator[str]:
    """Serve these paths while the block runs; yield the server's root URL."""
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def web_page(handler: PageHandler) -> AsyncIterator[str]:
    """Serve one page while the block runs; yield its URL."""
    async with serve_pages({"/appeal": handler}) as root:
        yield f"{root}/appeal"
