"""HTTP endpoints: health check (and, later, email confirm and unsubscribe links)."""

from __future__ import annotations

from aiohttp import web

from bot.config import Settings
from bot.services import Services

SERVICES_KEY = web.AppKey("services", Services)


async def health(_request: web.Request) -> web.Response:
    """Answer that the service is up."""
    return web.json_response({"ok": True})


def build_web_app(services: Services) -> web.Application:
    """Return the aiohttp application with every endpoint."""
    app = web.Application(client_max_size=64 * 1024)
    app[SERVICES_KEY] = services
    app.router.add_get("/healthz", health)
    return app


async def start_web(settings: Settings, services: Services) -> web.AppRunner:
    """Listen on APPEALBOT_HTTP_HOST:APPEALBOT_HTTP_PORT; return the runner to clean up."""
    runner = web.AppRunner(build_web_app(services), access_log=None, shutdown_timeout=2)
    await runner.setup()
    await web.TCPSite(runner, settings.http_host, settings.http_port).start()
    return runner
