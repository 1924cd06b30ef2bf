"""HTTP endpoints, served in the same process as the bot (or alone, by `appealbot web`): the
public pages, feeds and calendars, the email sign-up page, confirm, unsubscribe (one click,
RFC 8058) and settings links, /healthz, /metrics, and the Telegram webhook when the bot runs in
webhook mode."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web
from aiohttp.typedefs import Middleware

from bot.config import Settings
from bot.services import Services
from bot.web import email, guard, monitoring, site, telegram_updates
from bot.web.pages import PAGES_KEY, Pages
from bot.web.site_pages import Site

SERVICES_KEY = email.SERVICES_KEY


def build_web_app(
    services: Services,
    pages: Pages,
    public: Site,
    hook: telegram_updates.UpdateHook | None = None,
    *,
    trusted_proxies: Sequence[str] = (),
    timeout: float = 15.0,
) -> web.Application:
    """Return the aiohttp application with every endpoint."""
    middlewares: list[Middleware] = [
        guard.security_headers,
        guard.deadline(timeout),
        email.language,
    ]
    if trusted_proxies:
        middlewares.insert(0, guard.behind(trusted_proxies))
    app = web.Application(client_max_size=256 * 1024, middlewares=middlewares)
    app[SERVICES_KEY] = services
    app[PAGES_KEY] = pages
    app[site.SITE_KEY] = public
    monitoring.add_routes(app.router)
    site.add_routes(app.router)
    email.add_routes(app.router)
    if hook is not None:
        telegram_updates.add_routes(app, hook)
    return app


async def start_web(
    settings: Settings,
    services: Services,
    pages: Pages,
    public: Site,
    hook: telegram_updates.UpdateHook | None = None,
) -> web.AppRunner:
    """Listen on APPEALBOT_HTTP_HOST:APPEALBOT_HTTP_PORT; return the runner to clean up."""
    app = build_web_app(
        services,
        pages,
        public,
        hook,
        trusted_proxies=settings.trusted_proxies,
        timeout=settings.http_timeout_seconds,
    )
    # A connection that has not sent a whole request in time (a slowloris) is closed too.
    runner = web.AppRunner(
        app,
        access_log=None,
        shutdown_timeout=2,
        keepalive_timeout=settings.http_timeout_seconds,
    )
    await runner.setup()
    await web.TCPSite(runner, settings.http_host, settings.http_port).start()
    return runner
