"""HTTP endpoints, served in the same process as the bot: the email sign-up page, confirm,
unsubscribe (one click, RFC 8058) and settings links, /healthz and /metrics."""

from __future__ import annotations

from aiohttp import web

from bot.config import Settings
from bot.services import Services
from bot.web import email, monitoring
from bot.web.pages import PAGES_KEY, Pages

SERVICES_KEY = email.SERVICES_KEY


def build_web_app(services: Services, pages: Pages) -> web.Application:
    """Return the aiohttp application with every endpoint."""
    app = web.Application(client_max_size=64 * 1024)
    app[SERVICES_KEY] = services
    app[PAGES_KEY] = pages
    monitoring.add_routes(app.router)
    email.add_routes(app.router)
    return app


async def start_web(settings: Settings, services: Services, pages: Pages) -> web.AppRunner:
    """Listen on APPEALBOT_HTTP_HOST:APPEALBOT_HTTP_PORT; return the runner to clean up."""
    runner = web.AppRunner(build_web_app(services, pages), access_log=None, shutdown_timeout=2)
    await runner.setup()
    await web.TCPSite(runner, settings.http_host, settings.http_port).start()
    return runner
