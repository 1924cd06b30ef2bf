"""HTTP endpoints, served in the same process as the bot: the email sign-up page, confirm,
unsubscribe (one click, RFC 8058) and settings links, /healthz, /metrics, and the Telegram
webhook when the bot runs in webhook mode."""

from __future__ import annotations

from aiohttp import web

from bot.config import Settings
from bot.services import Services
from bot.web import email, monitoring, webhook
from bot.web.pages import PAGES_KEY, Pages

SERVICES_KEY = email.SERVICES_KEY


def build_web_app(
    services: Services, pages: Pages, hook: webhook.Webhook | None = None
) -> web.Application:
    """Return the aiohttp application with every endpoint."""
    app = web.Application(client_max_size=256 * 1024, middlewares=[email.language])
    app[SERVICES_KEY] = services
    app[PAGES_KEY] = pages
    monitoring.add_routes(app.router)
    email.add_routes(app.router)
    if hook is not None:
        webhook.add_routes(app, hook)
    return app


async def start_web(
    settings: Settings, services: Services, pages: Pages, hook: webhook.Webhook | None = None
) -> web.AppRunner:
    """Listen on APPEALBOT_HTTP_HOST:APPEALBOT_HTTP_PORT; return the runner to clean up."""
    app = build_web_app(services, pages, hook)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2)
    await runner.setup()
    await web.TCPSite(runner, settings.http_host, settings.http_port).start()
    return runner
