"""Publishers' feeds: find a site's feed, fetch it conditionally, read its items (feedparser
reads RSS 2.0, RSS 1.0 and Atom)."""

from __future__ import annotations

import asyncio
import hashlib
import html
import re
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import aiohttp
import feedparser

from bot.extract.fetch import Downloaded, FetchOptions, decode, download
from core.errors import FetchError
from templates.i18n import N_

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")
MAX_ITEMS = 50  # read from one poll of one feed
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BLOCK = re.compile(r"</?(p|div|br|li|h[1-6]|tr|blockquote)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True, slots=True)
class Item:
    """One entry of a feed, as text."""

    key: str  # a hash of its id (or link)
    link: str | None
    title: str
    text: str  # its content or summary, as plain text
    published: date | None


@dataclass(frozen=True, slots=True)
class Feed:
    """A fetched feed: where it is, what it is called, its items, how to ask again."""

    url: str
    title: str | None
    items: list[Item]
    etag: str | None
    modified: str | None
    unchanged: bool = False  # 304: nothing new since the last poll
    malformed: str | None = None  # what the parser found wrong (cut off, not well-formed)


class _FeedLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if (
            tag == "link"
            and "alternate" in values.get("rel", "").lower().split()
            and values.get("type", "").lower() in FEED_TYPES
            and values.get("href")
        ):
            self.found.append(values["href"])


def feed_link(page: str, base: str) -> str | None:
    """Return the feed a web page names with <link rel="alternate" type="…+xml">."""
    parser = _FeedLinks()
    parser.feed(page)
    return urljoin(base, parser.found[0]) if parser.found else None


def as_text(fragment: str) -> str:
    """Return an HTML fragment of a feed as plain text (scripts and styles dropped)."""
    text = _SCRIPT.sub(" ", fragment)
    text = _BLOCK.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _looks_like_html(found: Downloaded) -> bool:
    if "html" in found.content_type:
        return True
    return found.body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))


def _item(entry: Any) -> Item:
    identity = str(entry.get("id") or entry.get("link") or entry.get("title") or "")
    content = entry.get("content") or []
    body = content[0].get("value", "") if content else entry.get("summary", "")
    published = entry.get("published_parsed") or entry.get("updated_parsed")
    return Item(
        key=hashlib.sha256(identity.encode()).hexdigest(),
        link=entry.get("link"),
        title=as_text(str(entry.get("title", ""))),
        text=as_text(str(body)),
        published=date(*published[:3]) if published else None,
    )


# What feedparser notes but reads whole: a charset declared one way and served another.
_HARMLESS = (feedparser.CharacterEncodingOverride,)


async def read_feed(
    url: str,
    options: FetchOptions,
    *,
    etag: str | None = None,
    modified: str | None = None,
) -> Feed:
    """Fetch a feed (or the page that names it) and read its items; raise FetchError with
    the reason when it cannot be read."""
    headers = {"If-None-Match": etag} if etag else {}
    if modified:
        headers["If-Modified-Since"] = modified
    try:
        async with asyncio.timeout(options.timeout):
            found = await download(url, options, headers=headers)
            if found.status == 200 and _looks_like_html(found):
                named = feed_link(decode(found.body, found.charset), found.url)
                if named is None:
                    raise FetchError(N_("That page names no feed (RSS or Atom)."))
                found = await download(named, options)
    except TimeoutError:
        raise FetchError(
            N_("The feed took longer than %(seconds)s seconds."), seconds=f"{options.timeout:.0f}"
        ) from None
    except FetchError:
        raise
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        raise FetchError(
            N_("The feed could not be fetched (%(reason)s)."), reason=type(exc).__name__
        ) from None
    if found.status == 304:
        return Feed(found.url, None, [], etag, modified, unchanged=True)
    if found.status != 200:
        raise FetchError(N_("The feed answered with HTTP %(status)s."), status=found.status)
    parsed = await asyncio.to_thread(feedparser.parse, found.body)
    if not parsed.entries and (parsed.bozo or not parsed.feed):
        raise FetchError(N_("That is not a feed that can be read (RSS or Atom)."))
    items = [_item(entry) for entry in parsed.entries[:MAX_ITEMS]]
    title = parsed.feed.get("title")
    malformed = None
    if parsed.bozo and not isinstance(parsed.get("bozo_exception"), _HARMLESS):
        # A feed cut off mid-way parses as far as it goes: keep that, and say so. Its last
        # item may be the one cut: it is left for the next, whole reading.
        malformed = str(parsed.get("bozo_exception") or "not well-formed")[:300]
        items = items[:-1] if len(parsed.entries) <= MAX_ITEMS else items
    return Feed(
        found.url,
        as_text(title) if title else None,
        items,
        None if malformed else found.etag,  # ask for all of it again next time
        None if malformed else found.modified,
        malformed=malformed,
    )
