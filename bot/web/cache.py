"""Rendered pages, kept until what they show changes, and answered conditionally."""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

from aiohttp import web
from multidict import CIMultiDict


@dataclass(frozen=True, slots=True)
class Rendered:
    """One page's bytes, as sent, with what conditional requests compare."""

    body: bytes
    content_type: str
    charset: str | None = "utf-8"
    last_modified: datetime | None = None
    status: int = 200
    location: str | None = None  # where a 301 points
    etag: str = field(init=False)
    # The headers it is sent with, worked out once for the headers it was first sent with.
    _sent: dict[int, CIMultiDict[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "etag", hashlib.sha256(self.body).hexdigest()[:24])
        object.__setattr__(self, "_sent", {})

    def headers(self, base: Mapping[str, str]) -> CIMultiDict[str]:
        """Return ``base`` with this page's ETag and Last-Modified."""
        known = self._sent.get(id(base))
        if known is None:
            known = CIMultiDict(base)
            known["ETag"] = f'"{self.etag}"'
            if self.last_modified is not None:
                known["Last-Modified"] = _http_date(self.last_modified)
            self._sent[id(base)] = known
        return known


class PageCache:
    """Pages by key for one content stamp: a new stamp (something was published, updated,
    withdrawn, counted) empties it. Readers of a page that is being rendered wait for it
    rather than render it again: a shared link brings thousands at once."""

    def __init__(self, limit: int = 2048) -> None:
        self._limit = limit
        self._stamp: str | None = None
        self._pages: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._rendering: dict[Hashable, asyncio.Future[Rendered]] = {}

    def __len__(self) -> int:
        return len(self._pages)

    async def get(
        self, key: Hashable, stamp: str, render: Callable[[], Awaitable[Rendered]]
    ) -> Rendered:
        """Return the page for ``key``, rendering it once per stamp."""
        if stamp != self._stamp:
            self._pages.clear()
            self._rendering.clear()
            self._stamp = stamp
        page = self._pages.get(key)
        if page is not None:
            self._pages.move_to_end(key)
            return page
        pending = self._rendering.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Rendered] = asyncio.get_running_loop().create_future()
        self._rendering[key] = future
        try:
            page = await render()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        finally:
            if self._rendering.get(key) is future:
                del self._rendering[key]
        future.set_result(page)
        if stamp == self._stamp:
            self._pages[key] = page
            while len(self._pages) > self._limit:
                self._pages.popitem(last=False)
        return page


def answer(request: web.Request, page: Rendered, headers: Mapping[str, str]) -> web.Response:
    """Answer with the page, or 304 when the client's copy is this one (ETag, else date)."""
    if page.location is not None:
        return web.Response(status=page.status, headers={**headers, "Location": page.location})
    sent = page.headers(headers)
    if page.status == 200 and _fresh(request, page):
        return web.Response(status=304, headers=sent)
    return web.Response(
        body=page.body,
        status=page.status,
        content_type=page.content_type,
        charset=page.charset,
        headers=sent,
    )


def _fresh(request: web.Request, page: Rendered) -> bool:
    wanted = request.headers.get("If-None-Match")
    if wanted is not None:
        tags = {tag.strip().removeprefix("W/").strip('"') for tag in wanted.split(",")}
        return page.etag in tags or "*" in tags
    since = request.if_modified_since
    if since is not None and page.last_modified is not None:
        return aware(page.last_modified).replace(microsecond=0) <= since
    return False


def aware(moment: datetime) -> datetime:
    """Return a moment in UTC (the database gives SQLite's without a zone)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _http_date(moment: datetime) -> str:
    return format_datetime(aware(moment), usegmt=True)
