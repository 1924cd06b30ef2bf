"""Fetch an appeal's web page and keep its main text (navigation, comments and ads dropped)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

import aiohttp

from bot.extract.draft import ExtractionError

MAX_PAGE_BYTES = 3_000_000
MAX_URL = 500
TIMEOUT = 20.0
_URL = re.compile(r"^https?://[^\s<>\"]+$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Page:
    url: str
    text: str
    title: str | None


def single_link(text: str) -> str | None:
    """Return the link if the message is just a link (and nothing else)."""
    candidate = text.strip()
    return candidate if _URL.match(candidate) and len(candidate) <= MAX_URL else None


def main_text(html: str) -> tuple[str, str | None]:
    """Return the main text and title of an HTML page."""
    # Imported here: the HTML stack it brings (lxml and friends) costs memory on a small
    # server, and only an admin sending a link needs it.
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, favor_recall=True) or ""
    metadata = trafilatura.extract_metadata(html)
    title = metadata.title if metadata is not None else None
    return text, title


async def fetch_page(url: str) -> Page:
    """Download a page and return its main text, or raise ExtractionError saying why not."""
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as session,
            session.get(url, headers={"User-Agent": "appealbot (solidarity appeals)"}) as response,
        ):
            if response.status != 200:
                raise ExtractionError(
                    f"The page answered with HTTP {response.status}. Paste the text instead."
                )
            body = await response.content.read(MAX_PAGE_BYTES + 1)
            if len(body) > MAX_PAGE_BYTES:
                raise ExtractionError("That page is too large. Paste the appeal text instead.")
            charset = response.charset or "utf-8"
            kind = response.content_type
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise ExtractionError(
            f"I could not fetch that page ({type(exc).__name__}). Paste the text instead."
        ) from None
    page = body.decode(charset, errors="replace")
    if "html" not in kind:
        return Page(url=url, text=page, title=None)
    text, title = await asyncio.to_thread(main_text, page)
    if not text.strip():
        raise ExtractionError("I found no article text on that page. Paste the text instead.")
    if title and not text.startswith(title):
        text = f"{title}\n\n{text}"
    return Page(url=url, text=text, title=title)
