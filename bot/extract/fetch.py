"""Fetch an appeal's web page and keep its main text (navigation, comments and ads dropped).

An admin sends a link; the bot fetches it from the server it runs on. That server may sit next
to services the public must not reach (the Bot API with its token in the path, a metadata
endpoint, a database), so every address is checked after DNS resolution, at every redirect,
and nothing but http(s) on public addresses is fetched unless the operator allows it.
"""

from __future__ import annotations

import asyncio
import codecs
import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from core.errors import FetchError
from templates.i18n import N_

MAX_URL = 500
_URL = re.compile(r"^https?://[^\s<>\"]+$", re.IGNORECASE)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "appealbot (solidarity appeals)"


AddressCheck = Callable[[str, int], bool]
"""Whether the fetcher may connect to an IP address and port."""


_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address an IPv6 one carries (mapped, compatible, NAT64, 6to4, Teredo)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _IPV4_COMPATIBLE or any(ip in prefix for prefix in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def is_public_address(address: str) -> bool:
    """Tell whether an IP address is on the public internet (not private, loopback, ...),
    an IPv4 address carried inside an IPv6 one included."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            if int(inner) == 0 and ip in _IPV4_COMPATIBLE:
                return False  # "::" and "::1" themselves
            return inner.is_global and not inner.is_multicast
    return ip.is_global and not ip.is_multicast


def public_only(address: str, _port: int) -> bool:
    """Allow public addresses only (the default)."""
    return is_public_address(address)


def anywhere(_address: str, _port: int) -> bool:
    """Allow every address (APPEALBOT_FETCH_ALLOW_PRIVATE)."""
    return True


@dataclass(frozen=True, slots=True)
class FetchOptions:
    """Limits for fetching a page; the defaults suit an appeal's article page."""

    max_bytes: int = 3_000_000
    timeout: float = 20.0
    max_redirects: int = 4
    allowed: AddressCheck = public_only

    @classmethod
    def for_settings(cls, *, allow_private: bool) -> FetchOptions:
        """Return the options an operator chose."""
        return cls(allowed=anywhere if allow_private else public_only)


@dataclass(frozen=True, slots=True)
class Page:
    url: str
    text: str
    title: str | None


def single_link(text: str) -> str | None:
    """Return the link if the message is just a link (and nothing else)."""
    candidate = text.strip()
    return candidate if _URL.match(candidate) and len(candidate) <= MAX_URL else None


class CheckingResolver(AbstractResolver):
    """Resolve names as usual, then refuse any that leads to an address not allowed."""

    def __init__(self, allowed: AddressCheck) -> None:
        self._resolver = DefaultResolver()
        self._allowed = allowed

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._resolver.resolve(host, port, family)
        if not found or not all(self._allowed(item["host"], item["port"]) for item in found):
            raise FetchError(_PRIVATE)
        return found

    async def close(self) -> None:
        await self._resolver.close()


_PRIVATE = N_(
    "That link points to a private or local address, which I do not fetch. "
    "Paste the appeal text instead."
)


def _check_url(url: URL, options: FetchOptions) -> None:
    if url.scheme not in ("http", "https") or not url.host:
        raise FetchError(N_("I can only fetch http:// and https:// links. Paste the text instead."))
    host = url.host.strip("[]")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return  # a name: the resolver checks every address it stands for
    if not options.allowed(host, url.port or 0):
        raise FetchError(_PRIVATE)


def decode(body: bytes, charset: str | None) -> str:
    """Decode a page with its declared charset, or UTF-8 when that is unknown or wrong."""
    encoding = "utf-8"
    if charset:
        try:
            encoding = codecs.lookup(charset).name
        except LookupError:
            encoding = "utf-8"
    return body.decode(encoding, errors="replace")


def main_text(html: str) -> tuple[str, str | None]:
    """Return the main text and title of an HTML page."""
    # Imported here: the HTML stack it brings (lxml and friends) costs memory on a small
    # server, and only an admin sending a link needs it.
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, favor_recall=True) or ""
    metadata = trafilatura.extract_metadata(html)
    title = metadata.title if metadata is not None else None
    return text, title


async def _read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes:
    declared = response.content_length
    if declared is not None and declared > limit:
        raise FetchError(_TOO_LARGE, size=f"{limit / 1_000_000:g}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise FetchError(_TOO_LARGE, size=f"{limit / 1_000_000:g}")
        chunks.append(chunk)
    return b"".join(chunks)


_TOO_LARGE = N_(
    "That page is larger than %(size)s MB, more than an appeal needs. "
    "Paste the appeal text instead."
)


@dataclass(frozen=True, slots=True)
class Downloaded:
    """What a server answered for a document, after its redirects."""

    url: str
    status: int
    body: bytes
    charset: str | None
    content_type: str
    etag: str | None = None
    modified: str | None = None


async def download(
    url: str, options: FetchOptions, *, headers: dict[str, str] | None = None
) -> Downloaded:
    """Follow at most a few redirects, checking each address; return the final answer
    (any status: a caller that sent If-None-Match may get 304)."""
    connector = aiohttp.TCPConnector(resolver=CheckingResolver(options.allowed), limit=4)
    async with aiohttp.ClientSession(
        connector=connector, headers={"User-Agent": USER_AGENT}
    ) as session:
        current = URL(url)
        for _ in range(options.max_redirects + 1):
            _check_url(current, options)
            async with session.get(current, allow_redirects=False, headers=headers) as response:
                if response.status in _REDIRECTS and "Location" in response.headers:
                    current = URL(urljoin(str(current), response.headers["Location"]))
                    continue
                body = (
                    await _read_capped(response, options.max_bytes)
                    if response.status == 200
                    else b""
                )
                return Downloaded(
                    str(current),
                    response.status,
                    body,
                    response.charset,
                    response.content_type,
                    response.headers.get("ETag"),
                    response.headers.get("Last-Modified"),
                )
        raise FetchError(N_("That link redirects too many times. Paste the text instead."))


async def _download(url: str, options: FetchOptions) -> tuple[str, bytes, str | None, str]:
    """Return a page that answered 200, or raise FetchError saying why not."""
    found = await download(url, options)
    if found.status != 200:
        raise FetchError(
            N_("The page answered with HTTP %(status)s. Paste the text instead."),
            status=found.status,
        )
    return found.url, found.body, found.charset, found.content_type


async def fetch_page(url: str, options: FetchOptions | None = None) -> Page:
    """Download a page and return its main text, or raise FetchError saying why not."""
    options = options or FetchOptions()
    try:
        async with asyncio.timeout(options.timeout):
            final_url, body, charset, kind = await _download(url, options)
    except FetchError:
        raise
    except TimeoutError:
        raise FetchError(
            N_("That page took longer than %(seconds)s seconds. Paste the text instead."),
            seconds=f"{options.timeout:.0f}",
        ) from None
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        cause: Any = exc.__cause__ or exc
        if isinstance(cause, FetchError):
            raise cause from None
        raise FetchError(
            N_("I could not fetch that page (%(reason)s). Paste the text instead."),
            reason=type(exc).__name__,
        ) from None
    page = decode(body, charset)
    if "html" not in kind:
        return Page(url=final_url, text=page, title=None)
    text, title = await asyncio.to_thread(main_text, page)
    if not text.strip():
        raise FetchError(N_("I found no article text on that page. Paste the text instead."))
    if title and not text.startswith(title):
        text = f"{title}\n\n{text}"
    return Page(url=final_url, text=text, title=title)
