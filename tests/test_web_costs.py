"""What the public pages cost: one read of the database for a crowd, a page for every
made-up query, and feeds that stay readable whatever an appeal holds."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import aiohttp
import feedparser
import pytest
from sqlalchemy import event, insert, update
from sqlalchemy.engine import Engine

from storage.models import Appeal, Protest
from tests.support.app import app_for
from tests.support.bot import sessions_for
from tests.support.site import running_site
from tests.test_web import OPEN, OPEN_SLUG, get

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.xdist_group("web")]


async def test_a_crowd_after_a_change_waits_for_one_read_of_what_changed(seeded_url: str) -> None:
    async with app_for(seeded_url) as app:
        public = app.services.public
        reads: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
            if "FROM actions" in statement:  # the protests, one part of the stamp
                reads.append(statement)

        event.listen(app.services.db.engine.sync_engine, "before_cursor_execute", count)
        before = await public.stamp()
        await asyncio.gather(*(public.stamp() for _ in range(16)))
        assert len(reads) == 1, "read once a second, not once a request"
        async with sessions_for(seeded_url) as sessions, sessions.begin() as session:
            await session.execute(insert(Protest).values(appeal_id=1, taker="t" * 64))
        public.changed()
        stamps = await asyncio.gather(*(public.stamp() for _ in range(16)))
        assert len(reads) == 2, "sixteen readers at once, one read"
        [after] = set(stamps)
        assert after != before, "all see the change"


async def test_a_control_character_in_an_appeal_leaves_every_feed_readable(
    seeded_template: Path, tmp_path: Path
) -> None:
    # Stored before drafts were cleaned (a feed item's "&#11;", a pasted terminal colour).
    copy = tmp_path / "seeded.db"
    shutil.copyfile(seeded_template, copy)
    url = f"sqlite+aiosqlite:///{copy}"
    async with sessions_for(url) as sessions, sessions.begin() as session:
        await session.execute(
            update(Appeal)
            .where(Appeal.id == OPEN)
            .values(title="Almaty\x0b: police \x1b[1mbeat\x1b[0m strikers")
        )
    async with running_site(url) as root, aiohttp.ClientSession() as http:
        for path in (
            "/feeds/appeals.atom",
            "/feeds/countries/kz.atom",
            "/feeds/cases/dmitry-tikhonov.atom",
        ):
            status, body, _ = await get(http, f"{root}{path}?lang=en")
            assert status == 200, path
            parsed = feedparser.parse(body)
            assert not parsed.bozo, (path, parsed.get("bozo_exception"))
            titles = [entry.title for entry in parsed.entries]
            assert any("police" in title and "beat" in title for title in titles), path


async def test_a_made_up_query_value_costs_no_more_than_the_page_it_stands_for(
    seeded_url: str,
) -> None:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    async with running_site(seeded_url) as root, aiohttp.ClientSession() as http:
        page = f"{root}/appeals/{OPEN_SLUG}?lang=en"
        status, first, _ = await get(http, page)
        assert status == 200
        event.listen(Engine, "before_cursor_execute", count)
        try:
            for _ in range(10):
                await get(http, page)
            cached = len(statements)
            statements.clear()
            for made_up in ("qwertyui", "zzzzzzzz", "aaaaaaaa", "xx", "ru1", "12345678"):
                status, body, _ = await get(http, f"{page}&letters={made_up}&sent={made_up}")
                assert status == 200
                assert body == first, "a value nobody offers is the page without it"
        finally:
            event.remove(Engine, "before_cursor_execute", count)
    assert len(statements) <= cached + 2, "no made-up value is rendered (or read) again"
