"""HTTP endpoints, served in the same process as the bot (or alone, by `appealbot web`): the
public pages, feeds and calendars, the email sign-up page, confirm, unsubscribe (one click,
RFC 8058) and settings links, /healthz, /metrics, and the Telegram webhook when the bot runs in
webhook mode."""

from __future__ import annotations

import errno
import ipaddress
from collections.abc import Sequence
from typing import Annotated

from aiohttp import web
from aiohttp.typedefs import Middleware
from pydantic import BaseModel, Field, field_validator
from pydantic_settings import NoDecode

from bot.services import Services
from bot.web import email, guard, monitoring, site, telegram_updates
from bot.web.pages import PAGES_KEY, Pages
from bot.web.site_pages import Site
from core.errors import AlreadyRunningError

SERVICES_KEY = email.SERVICES_KEY


class WebSettings(BaseModel):
    """Where the pages and endpoints listen, and whom they believe about a client's address."""

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    # A client that has not sent its whole request in this time is disconnected (slow
    # clients must not hold connections open), and an idle connection closed.
    http_timeout_seconds: float = Field(default=15.0, gt=0, le=600)
    # Reverse proxies whose X-Forwarded-For is believed (addresses or networks); none: the
    # TCP peer is the client.
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            for part in value:
                try:
                    ipaddress.ip_network(str(part), strict=False)
                except ValueError:
                    raise ValueError(f"{part!r} is not an IP address or network") from None
            return tuple(str(part) for part in value)
        return value


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
    settings: WebSettings,
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
    try:
        await web.TCPSite(runner, settings.http_host, settings.http_port).start()
    except OSError as exc:
        await runner.cleanup()
        if exc.errno == errno.EADDRINUSE:
            raise AlreadyRunningError(
                f"port {settings.http_port} on {settings.http_host} is in use (another "
                "appealbot, or another program); set APPEALBOT_HTTP_PORT to a free one"
            ) from None
        raise
    return runner
