"""Fetching an appeal's page: whole pages read, huge ones refused, internal addresses never."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.extract.fetch import (
    FetchOptions,
    anywhere,
    decode,
    fetch_page,
    is_public_address,
    main_text,
)
from core.errors import FetchError
from emulator import BotApiEmulator
from tests.support.bot import running_bot
from tests.support.pages import PageHandler, serve_pages, web_page

ADMIN = 4101
LOCAL = FetchOptions(allowed=anywhere)
CONTACT = "Please send protests to the Procurator General, Email: far.end@prokuror.example.kz"


def article(size: int) -> bytes:
    """Return an HTML article of about ``size`` bytes whose contact line is at the very end."""
    paragraph = (
        "<p>Workers at the plant in Zhanaozen have been on strike for months; the company "
        "and the police answer with dismissals, arrests and beatings of their leaders.</p>\n"
    )
    head = "<html><head><title>Strikers on trial</title></head><body><article>"
    head += "<h1>Strikers on trial</h1>"
    tail = f"<p>{CONTACT}</p></article></body></html>"
    body = paragraph * max(1, (size - len(head) - len(tail)) // len(paragraph))
    return (head + body + tail).encode()


def in_pieces(content: bytes, piece: int, pause: float = 0.01) -> PageHandler:
    """Serve ``content`` in chunks of ``piece`` bytes with a pause between them."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
        await response.prepare(request)
        for start in range(0, len(content), piece):
            await response.write(content[start : start + piece])
            await asyncio.sleep(pause)
        await response.write_eof()
        return response

    return handler


@pytest.mark.parametrize("size", [20_000, 50_000, 300_000])
async def test_a_page_sent_in_small_pieces_is_read_whole(size: int) -> None:
    async with web_page(in_pieces(article(size), 8 * 1024, pause=0.002)) as url:
        page = await fetch_page(url, LOCAL)
    assert page.text.startswith("Strikers on trial")
    assert "far.end@prokuror.example.kz" in page.text


async def test_a_two_megabyte_page_is_read_whole() -> None:
    content = article(2_000_000)
    assert len(content) > 1_900_000

    async def serve(_request: web.Request) -> web.Response:
        return web.Response(body=content, content_type="text/html")

    async with web_page(serve) as url:
        page = await fetch_page(url, LOCAL)
    assert "far.end@prokuror.example.kz" in page.text


async def test_a_ten_megabyte_page_is_refused_without_reading_it_all() -> None:
    async with web_page(in_pieces(article(10_000_000), 256 * 1024, pause=0)) as url:
        with pytest.raises(FetchError, match="larger than 3 MB"):
            await fetch_page(url, LOCAL)


async def test_an_endless_stream_is_cut_off_at_the_limit() -> None:
    sent = 0

    async def endless(request: web.Request) -> web.StreamResponse:
        nonlocal sent
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        chunk = b"<p>" + b"x" * 65_530 + b"</p>"
        while sent < 1_000_000_000:
            await response.write(chunk)
            sent += len(chunk)
        return response

    async with web_page(endless) as url:
        with pytest.raises(FetchError, match="larger than"):
            await fetch_page(url, LOCAL)
    assert sent < 20_000_000


async def test_a_slow_page_runs_into_the_total_time_limit() -> None:
    async with web_page(in_pieces(article(50_000), 1_000, pause=0.2)) as url:
        with pytest.raises(FetchError, match="longer than 1 seconds"):
            await fetch_page(url, FetchOptions(allowed=anywhere, timeout=1.0))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/bot123:ABC/getMe",
        "http://[::1]:9/",
        "http://10.1.2.3/",
        "http://192.168.0.1/admin",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0:9/",
        "http://100.64.0.1/",
        "http://localhost:9/",
    ],
)
async def test_internal_addresses_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match="private or local address"):
        await fetch_page(url, FetchOptions(timeout=5))


@pytest.mark.parametrize("url", ["ftp://example.org/appeal.txt", "file:///etc/passwd"])
async def test_only_http_links_are_fetched(url: str) -> None:
    with pytest.raises(FetchError, match="only fetch http"):
        await fetch_page(url)


async def test_a_redirect_to_an_internal_address_is_refused() -> None:
    hits: list[str] = []

    async def secret(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(text="the Bot API token", content_type="text/html")

    async with serve_pages({"/secret": secret}) as inside:
        inside_port = int(inside.rsplit(":", 1)[1])

        async def bounce(_request: web.Request) -> web.Response:
            raise web.HTTPFound(f"http://localhost:{inside_port}/secret")

        async def bounce_by_address(_request: web.Request) -> web.Response:
            raise web.HTTPFound(f"{inside}/secret")

        async with serve_pages({"/a": bounce, "/b": bounce_by_address}) as outside:
            outside_port = int(outside.rsplit(":", 1)[1])
            # Stands in for a public page: only the first server may be reached.
            options = FetchOptions(allowed=lambda _address, port: port == outside_port)
            for path in ("/a", "/b"):
                with pytest.raises(FetchError, match="private or local address"):
                    await fetch_page(f"{outside}{path}", options)
    assert hits == []


async def test_too_many_redirects_are_refused() -> None:
    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound(str(request.url))

    async with web_page(loop) as url:
        with pytest.raises(FetchError, match="redirects too many times"):
            await fetch_page(url, LOCAL)


def test_public_addresses_are_told_apart() -> None:
    assert is_public_address("93.184.216.34")
    assert is_public_address("2001:4860:4860::8888")
    for address in ("127.0.0.1", "10.0.0.1", "169.254.169.254", "fe80::1", "::1", "224.0.0.1"):
        assert not is_public_address(address), address


def test_a_bogus_charset_falls_back_to_a_lenient_decode() -> None:
    assert decode("Алматы".encode(), "no-such-charset") == "Алматы"
    assert decode(b"caf\xe9 \xff", "utf-8") == "caf\ufffd \ufffd"
    assert decode("café".encode("latin-1"), "latin-1") == "café"


@pytest.fixture
async def admin_bot(emulator: BotApiEmulator, seeded_url: str) -> AsyncIterator[BotApiEmulator]:
    """An admin's bot with the operator's default: public addresses only."""
    async with running_bot(emulator, seeded_url, admin_ids=[ADMIN]):
        yield emulator


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/bot{token}/getMe",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.7/",
    ],
)
async def test_an_admin_link_to_an_internal_address_gets_a_clear_refusal(
    admin_bot: BotApiEmulator, url: str
) -> None:
    await admin_bot.converse(ADMIN, "/newappeal")
    link = url.format(port=admin_bot.port, token=admin_bot.token)
    asked_before = admin_bot.world.counters.calls["getme"]
    [answer] = await admin_bot.converse(ADMIN, link, timeout=10)
    assert answer.text.startswith("⚠️ That link points to a private or local address")
    assert admin_bot.token not in answer.text
    assert "bot_user" not in answer.text
    assert admin_bot.world.counters.calls["getme"] == asked_before  # the link was not fetched


async def test_an_admin_link_to_a_page_in_pieces_is_read_whole(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    async with (
        running_bot(emulator, seeded_url, admin_ids=[ADMIN], fetch_allow_private=True),
        web_page(in_pieces(article(20_000), 8 * 1024)) as url,
    ):
        await emulator.converse(ADMIN, "/newappeal")
        preview, review = await emulator.converse(ADMIN, url, expect=2, timeout=20)
    assert preview.text.splitlines()[1] == "Strikers on trial"
    assert "far.end@prokuror.example.kz" in review.text


async def test_an_admin_link_to_a_huge_page_is_refused_plainly(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    async with (
        running_bot(emulator, seeded_url, admin_ids=[ADMIN], fetch_allow_private=True),
        web_page(in_pieces(article(10_000_000), 256 * 1024, pause=0)) as url,
    ):
        await emulator.converse(ADMIN, "/newappeal")
        [answer] = await emulator.converse(ADMIN, url, timeout=20)
    assert answer.text.startswith("⚠️ That page is larger than 3 MB")


def test_the_whole_html_stack_imports_and_reads_a_page() -> None:
    """The venv `make test` builds uses the pip this Python ships, as a plain install does."""
    import justext  # noqa: F401
    import lxml.html.clean  # noqa: F401
    import trafilatura  # noqa: F401

    text, title = main_text(article(5_000).decode())
    assert title == "Strikers on trial"
    assert CONTACT in text
