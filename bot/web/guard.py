"""What every HTTP answer carries, and who the client is behind a reverse proxy."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Sequence

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from aiohttp_remotes import XForwardedFiltered
from multidict import MultiDictProxy

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """No page of ours may be framed by another site, sniffed, or leak where it was read:
    not even an error's."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        response = web.HTTPInternalServerError(text="Internal Server Error")
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if isinstance(response, web.HTTPException):
        raise response
    return response


async def form_of(
    request: web.Request,
) -> MultiDictProxy[str | bytes | bytearray | web.FileField]:
    """Return a posted form; one that cannot be read (a charset nobody knows, bytes that are
    not its charset) is the client's mistake: 400, not 500."""
    try:
        return await request.post()
    except (LookupError, UnicodeDecodeError, ValueError) as exc:
        raise web.HTTPBadRequest(
            text=f"The form could not be read: {type(exc).__name__}."
        ) from None


def deadline(seconds: float) -> Middleware:
    """Answer 408 to a request whose body has not all come in ``seconds``."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.can_read_body:
            try:
                async with asyncio.timeout(seconds):
                    await request.read()
            except TimeoutError:
                raise web.HTTPRequestTimeout(text="Request Timeout") from None
        return await handler(request)

    return middleware


def behind(trusted: Sequence[str]) -> Middleware:
    """Take the client's address from X-Forwarded-For, but only when the request comes from
    one of the ``trusted`` proxies (anyone else could write that header)."""
    networks = [ipaddress.ip_network(item, strict=False) for item in trusted]
    forwarded = XForwardedFiltered(set(trusted))

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            peer = ipaddress.ip_address(request.remote or "")
        except ValueError:
            return await handler(request)
        if any(peer in network for network in networks):
            return await forwarded.middleware(request, handler)
        return await handler(request)

    return middleware
