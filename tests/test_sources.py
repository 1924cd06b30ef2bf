"""Followed feeds against a local feed server: RSS, Atom, a page naming its feed, and bad
sources; what becomes a draft, what is skipped, one draft for a repeated appeal, a second
poll that adds nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web
from sqlalchemy import func, insert, select

from bot.app import Overrides
from bot.extract.draft import DraftData
from bot.extract.fetch import FetchOptions, anywhere
from bot.services.actors import Actor
from core.errors import FetchError, UsageError
from emulator import BotApiEmulator
from storage.enums import AppealStatus, SourceState, Urgency
from storage.models import Appeal, AuditEntry, Source, SourceItem
from tests.support import drafts
from tests.support.app import app_for
from tests.support.bot import running_bot, sessions_for
from tests.support.databases import MigratedDatabase
from tests.support.offline import offline_bot
from tests.support.smtp import free_port

APPEAL = """<p>Karaganda, 4 May 2026. Miners' leader Aibek Serikov was detained on the night of
3 May after a sit-in underground.</p><script>alert("x")</script>
<p>Write to the Karaganda Regional Prosecutor: email prokuror@karaganda.example.kz, fax
+7 7212 40 00 00.</p><p>We demand:</p><p>1. Release Aibek Serikov.</p>
<p>2. Drop the charges against the miners.</p>"""
RSS = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Miners' solidarity</title><link>http://example.org/</link>
<item><guid>appeal-1</guid><title>Release miners' leader Aibek Serikov</title>
<link>LINK/appeal-1</link><pubDate>Mon, 04 May 2026 09:00:00 GMT</pubDate>
<description><![CDATA[{APPEAL}]]></description></item>
<item><guid>news-1</guid><title>Our spring newsletter</title><link>LINK/news-1</link>
<description>Thank you to everyone who came to the concert. Photos are on the website, and the
next meeting is in June. We are also looking for volunteers to help with translation work
over the summer months, so get in touch if you can give a few hours of your time.</description>
</item>
<item><guid>appeal-2</guid><title>Blogger held in Aktobe</title><link>LINK/appeal-2.html</link>
<description>Blogger held for a post about the akim. Read more.</description></item>
<item><guid>appeal-1</guid><title>Release miners' leader Aibek Serikov (corrected)</title>
<link>LINK/appeal-1</link><description>The same item id again.</description></item>
</channel></rss>"""
PAGE_2 = """<html><head><title>Blogger held in Aktobe</title></head><body><article>
<h1>Blogger held in Aktobe</h1>
<p>Aktobe, 6 May 2026. Blogger Saltanat Omarova was detained on 5 May after a post about the
regional akim. She faces a charge of spreading false information and could be jailed.</p>
<p>Send protests to the Aktobe police: email police@aktobe.example.kz.</p>
<p>Ask them to release Saltanat Omarova and drop the charge against her at once.</p>
</article></body></html>"""
ATOM = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Partner network</title><id>urn:partner</id>
<updated>2026-05-05T10:00:00Z</updated>
<entry><id>urn:partner:7</id><title>Free Aibek Serikov</title>
<updated>2026-05-05T10:00:00Z</updated>
<link href="http://example.org/partner/7"/>
<content type="html"><![CDATA[{APPEAL}]]></content></entry>
<entry><id>urn:partner:8</id><title>Vadim Kuramshin moved to a punishment cell</title>
<updated>2026-05-08T10:00:00Z</updated>
<link href="http://example.org/partner/8"/>
<content type="html"><![CDATA[<p>Almaty, 8 May 2026. Vadim Kuramshin has been moved to a
punishment cell for the third time this spring, his lawyer says, for writing to the
prosecutor about conditions in the colony.</p><p>Write to the colony's governor: email
governor@colony.example.kz.</p><p>Demand that Vadim Kuramshin is taken out of the punishment
cell and released.</p>]]></content></entry></feed>"""
SITE = """<!doctype html><html><head><title>Partner</title>
<link rel="alternate" type="application/atom+xml" href="/partner/atom.xml"></head>
<body>Home | News | About</body></html>"""


@asynccontextmanager
async def feed_server() -> AsyncIterator[tuple[str, asyncio.Event]]:
    """Serve the feeds, the pages and the bad sources on 127.0.0.1."""
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    release = asyncio.Event()

    async def rss(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"rss-1"':
            return web.Response(status=304)
        body = RSS.replace("LINK", root + "/network")
        return web.Response(
            text=body, content_type="application/rss+xml", headers={"ETag": '"rss-1"'}
        )

    async def slow(_request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text=RSS, content_type="application/rss+xml")

    def fixed(body: str, kind: str, status: int = 200):  # type: ignore[no-untyped-def]
        async def handler(_request: web.Request) -> web.Response:
            return web.Response(text=body, content_type=kind, status=status)

        return handler

    app = web.Application()
    app.router.add_get("/network/rss.xml", rss)
    app.router.add_get("/network/appeal-2.html", fixed(PAGE_2, "text/html"))
    app.router.add_get("/partner/", fixed(SITE, "text/html"))
    app.router.add_get("/partner/atom.xml", fixed(ATOM, "application/atom+xml"))
    app.router.add_get(
        "/bad/page.html", fixed("<html><body>No feed here</body></html>", "text/html")
    )
    app.router.add_get("/bad/broken.xml", fixed("not a feed at all {{{ <<<", "application/rss+xml"))
    app.router.add_get("/bad/gone.xml", fixed("gone", "text/plain", 410))
    # The connection closed part-way: the first item is whole, the second cut off.
    cut = ATOM[: ATOM.index("<entry><id>urn:partner:8</id>") + 60]
    app.router.add_get("/bad/cut.xml", fixed(cut, "application/atom+xml"))
    app.router.add_get(
        "/bad/big.xml", fixed("<rss>" + "x" * 300_000 + "</rss>", "application/rss+xml")
    )
    app.router.add_get("/bad/slow.xml", slow)

    async def loop(_request: web.Request) -> web.Response:
        raise web.HTTPFound("/bad/loop.xml")

    app.router.add_get("/bad/loop.xml", loop)  # /bad/missing.xml is not served: 404
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield root, release
    finally:
        release.set()
        await runner.cleanup()


OPTIONS = FetchOptions(allowed=anywhere, timeout=2.0, max_bytes=200_000)


async def test_feeds_make_drafts_of_appeals_once_and_bad_sources_say_why(seeded_url: str) -> None:
    async with (
        feed_server() as (root, _release),
        app_for(seeded_url, overrides=Overrides(fetch=OPTIONS)) as app,
    ):
        sources = app.services.sources
        admin = Actor("test")
        async with sessions_for(seeded_url) as sessions, sessions() as session:
            appeals_before = await session.scalar(select(func.count(Appeal.id)))
        network = await sources.add(f"{root}/network/rss.xml", actor=admin)
        assert network.title == "Miners' solidarity"
        partner = await sources.add(f"{root}/partner/", actor=admin)
        assert partner.feed_url == f"{root}/partner/atom.xml", "the page's feed link is followed"
        with pytest.raises(FetchError, match="names no feed"):
            await sources.add(f"{root}/bad/page.html", actor=admin)
        with pytest.raises(UsageError):
            await sources.add(f"{root}/network/rss.xml", actor=admin)
        # Sources that went bad after they were added.
        async with sessions_for(seeded_url) as sessions, sessions.begin() as session:
            for name in ("broken", "gone", "big", "slow", "loop", "missing"):
                url = f"{root}/bad/{name}.xml"
                await session.execute(insert(Source).values(url=url, feed_url=url))

        results = {result.source_id: result for result in await sources.poll()}
        first = results[network.id]
        assert [title for title, _why in first.skipped] == ["Our spring newsletter"]
        # The partner's copy of the Serikov appeal and the network's make one draft, whichever
        # of the two feeds (polled side by side) was read first.
        drafted = [n for source in (network.id, partner.id) for n in results[source].drafts]
        assert len(drafted) == 3
        assert first.duplicates + results[partner.id].duplicates == 1
        errors = {r.source_id: r.error for r in results.values() if r.error}
        assert len(errors) == 6
        assert any("HTTP 410" in error for error in errors.values())
        assert any("HTTP 404" in error for error in errors.values())
        assert any("redirects too many times" in error for error in errors.values())
        assert any("longer than 2 seconds" in error for error in errors.values())
        assert any("not a feed" in error for error in errors.values())
        assert any("larger than" in error for error in errors.values())

        assert await sources.poll(only_due=True) == [], "none is due again yet"
        again = await sources.poll()
        assert all(not result.drafts for result in again), "a second poll adds nothing"
        assert any(result.unchanged for result in again), "304 to a conditional GET"
        shown = {item.id: item for item in await sources.followed()}
        assert shown[network.id].seen == 3, "an id repeated in a feed is one item"
        assert shown[network.id].drafts + shown[partner.id].drafts == 3
        assert shown[network.id].error is None
        for name in ("gone", "missing"):
            [gone] = [item for item in shown.values() if item.url.endswith(f"{name}.xml")]
            assert gone.state == SourceState.GONE.value, "410 and 404: no more polling"
        [looping] = [item for item in shown.values() if item.url.endswith("loop.xml")]
        assert looping.state == SourceState.ACTIVE.value, "tried again later, less often"

    async with sessions_for(seeded_url) as sessions, sessions() as session:
        assert await session.scalar(select(func.count(Appeal.id))) == appeals_before, (
            "a source's draft becomes an appeal only when an admin takes it"
        )
        items = (await session.scalars(select(SourceItem).where(SourceItem.id.in_(drafted)))).all()
    drafts = {item.id: DraftData.model_validate(item.data) for item in items if item.data}
    assert len(drafts) == 3
    titles = sorted(draft.title for draft in drafts.values())
    assert titles[0] == "Blogger held in Aktobe"
    assert "Aibek Serikov" in titles[1]
    for draft in drafts.values():
        assert "alert" not in draft.summary, "no script reaches a draft"
        assert draft.source_url is not None
    serikov = next(d for d in drafts.values() if "Serikov" in d.title)
    assert str(serikov.issued_on) == "2026-05-04"
    [update] = [item for item in items if item.case_id is not None]
    assert "Kuramshin" in drafts[update.id].title, "a known case's news is offered as its update"


ADMIN, STRANGER = 4101, 4102


async def test_a_feed_cut_off_part_way_keeps_what_it_gave_and_says_it_is_malformed(
    seeded_url: str,
) -> None:
    async with (
        feed_server() as (root, _release),
        app_for(seeded_url, overrides=Overrides(fetch=OPTIONS)) as app,
    ):
        sources = app.services.sources
        async with sessions_for(seeded_url) as sessions, sessions.begin() as session:
            url = f"{root}/bad/cut.xml"
            await session.execute(insert(Source).values(url=url, feed_url=url))
        [polled] = await sources.poll()
        assert polled.error is None
        assert len(polled.drafts) + len(polled.skipped) + polled.duplicates == 1, "item 7 kept"
        [shown] = await sources.followed()
        assert shown.error is not None
        assert shown.error.startswith("The feed is malformed (")
        assert shown.seen == 1


async def test_admins_are_told_once_that_a_followed_feed_came_malformed(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    async with (
        feed_server() as (root, _release),
        running_bot(emulator, seeded_url, admin_ids=[ADMIN], fetch_allow_private=True),
    ):
        await emulator.converse(ADMIN, "/start")
        async with sessions_for(seeded_url) as sessions, sessions.begin() as session:
            url = f"{root}/bad/cut.xml"
            await session.execute(insert(Source).values(url=url, feed_url=url))
        had = len(emulator.sent(ADMIN))
        async with app_for(
            seeded_url, overrides=Overrides(fetch=OPTIONS), admin_ids=str(ADMIN)
        ) as command_line:
            await command_line.services.sources.poll()
            # The item read before the cut comes as a draft to review; and the word of trouble.
            told = await emulator.find(ADMIN, "⚠️ Source 1 has a problem")
            assert "The feed is malformed (" in told.text
            await command_line.services.sources.poll()  # malformed again: said already
        [listing] = await emulator.converse(ADMIN, "/sources")
        assert [m for m in emulator.sent(ADMIN)[had:] if "has a problem" in m.text] == [told]
        assert "The feed is malformed (" in listing.text


async def test_a_feed_followed_already_is_not_followed_twice_and_each_source_shows_where(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    async with (
        feed_server() as (root, _release),
        running_bot(emulator, seeded_url, admin_ids=[ADMIN], fetch_allow_private=True),
    ):
        [added] = await emulator.converse(ADMIN, f"/sources add {root}/partner/atom.xml")
        assert "Now following source 1" in added.text
        # The partner's site page names the same feed: not a second source of it.
        [again] = await emulator.converse(ADMIN, f"/sources add {root}/partner/")
        assert "That feed is followed already, as source 1." in again.text
        [listing] = await emulator.converse(ADMIN, "/sources")
        assert f"({root.removeprefix('http://')}/partner/atom.xml)" in listing.text
        assert "\n2." not in listing.text


async def test_admins_follow_sources_in_telegram_and_others_cannot(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    async with (
        feed_server() as (root, _release),
        running_bot(emulator, seeded_url, admin_ids=[ADMIN], fetch_allow_private=True),
    ):
        feed = f"{root}/network/rss.xml"
        where = feed.removeprefix("http://")
        [refused] = await emulator.converse(STRANGER, f"/sources add {feed}")
        assert refused.text == "This command is for admins."
        [added] = await emulator.converse(ADMIN, f"/sources add {feed}")
        assert "Now following source 1: Miners' solidarity." in added.text
        assert f"1. Miners' solidarity ({where}) · followed" in added.text
        [no_feed] = await emulator.converse(ADMIN, f"/sources add {root}/bad/page.html")
        assert "That page names no feed (RSS or Atom)." in no_feed.text
        [paused] = await emulator.converse(ADMIN, "/sources pause 1")
        assert "Source 1 is paused." in paused.text
        assert f"1. Miners' solidarity ({where}) · paused" in paused.text
        [usage] = await emulator.converse(ADMIN, "/sources follow everything")
        assert "Use /sources add <feed or page address>" in usage.text


OTHER_ADMIN = 4103
TAKEN = "⚠️ Another admin has taken or discarded this draft."
TAKEN_RU = "⚠️ Этот черновик уже взял или отклонил другой администратор."


async def test_each_new_draft_reaches_every_admin_and_the_first_to_choose_takes_it(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    admins = [ADMIN, OTHER_ADMIN]
    async with (
        feed_server() as (root, _release),
        running_bot(emulator, seeded_url, admin_ids=admins, fetch_allow_private=True),
    ):
        # An admin who reads the bot in Russian gets the review in Russian.
        await emulator.converse(OTHER_ADMIN, "/subscribe", language_code="ru")
        await emulator.converse(ADMIN, f"/sources add {root}/partner/")
        had = {admin: len(emulator.sent(admin)) for admin in admins}
        # `appealbot sources poll` from another process: the running bot sends the reviews.
        async with app_for(
            seeded_url, overrides=Overrides(fetch=OPTIONS), admin_ids=f"{ADMIN},{OTHER_ADMIN}"
        ) as command_line:
            [polled] = await command_line.services.sources.poll()
        assert len(polled.drafts) == 2
        reviews = {}
        for admin in admins:
            sent = (await emulator.wait_for_messages(admin, had[admin] + 2, timeout=10))[
                had[admin] :
            ]
            reviews[admin] = {("Serikov" if "Serikov" in r.text else "Kuramshin"): r for r in sent}
        assert reviews[OTHER_ADMIN]["Serikov"].text.startswith(
            "📥 Новый черновик из источника «Partner network»"
        )
        serikov = reviews[ADMIN]["Serikov"]
        assert serikov.text.startswith("📥 New draft from Partner network")
        assert "Date: 4 May 2026" in serikov.text
        assert (
            "\n1. Karaganda Regional Prosecutor · prokuror@karaganda.example.kz · "
            "fax +7 7212 40 00 00\n"
        ) in serikov.text
        assert "Nothing goes out until an admin publishes it." in serikov.text
        assert [b["text"] for b in serikov.buttons] == [
            "🔴 Publish as urgent",
            "📣 Publish",
            "✏️ Edit a field",
            "🗑 Discard",
        ]
        kuramshin = reviews[OTHER_ADMIN]["Kuramshin"]
        assert "It is about Vadim Kuramshin: it goes out as an update of that case." in (
            reviews[ADMIN]["Kuramshin"].text
        )

        # The first admin publishes the Serikov draft, as from their own review.
        await drafts.publish(emulator, ADMIN, serikov, "Publish as urgent")
        # The other admin is told it is taken; nothing is published twice.
        emulator.tap(reviews[OTHER_ADMIN]["Serikov"], "🔴")
        await emulator.wait_until(
            lambda: any(m.text == TAKEN_RU for m in emulator.sent(OTHER_ADMIN)), timeout=5
        )
        # The other admin discards the Kuramshin update; the first can no longer take it.
        answer = await emulator.wait_for_answer(emulator.tap(kuramshin, "🗑"))
        assert answer["text"] == "Отклонено."
        emulator.tap(reviews[ADMIN]["Kuramshin"], "Edit a field")
        await emulator.wait_until(
            lambda: any(m.text == TAKEN for m in emulator.sent(ADMIN)), timeout=5
        )

    async with sessions_for(seeded_url) as sessions, sessions() as session:
        published = (
            await session.scalars(select(Appeal).where(Appeal.title.contains("Serikov")))
        ).all()
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert [appeal.status for appeal in published] == [AppealStatus.PUBLISHED]
    assert published[0].urgency is Urgency.URGENT
    assert {"source-draft-take", "source-draft-discard"} <= set(actions)


FRESH_ADMIN = 4201
APOLOGIES = (
    "Sorry, something went wrong",
    "Простите, у нас что-то пошло не так",
)


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_an_admin_on_a_fresh_install_gets_every_listing_not_an_apology(
    sqlite_db: MigratedDatabase, language: str
) -> None:
    # An empty database: no source, no appeal, no subscriber yet. Each listing's "none yet"
    # line carries "<…>" placeholders that are text, not Telegram HTML.
    async with offline_bot(sqlite_db.url, admin_ids=str(FRESH_ADMIN)) as bot:
        await bot.converse(FRESH_ADMIN, f"/language {language}")
        for command in (
            "/sources",
            "/sources add http://127.0.0.1/feed.xml",
            "/sources remove 7",
            "/sources follow everything",
            "/stats",
            "/admins",
            "/appeals",
            "/help",
            "/update",
            "/withdraw",
            "/outcome",
            "/reminders",
        ):
            replies = await bot.converse(FRESH_ADMIN, command)
            assert replies, command
            for reply in replies:
                assert not reply.text.startswith(APOLOGIES), (command, reply.text)
        [listing] = await bot.converse(FRESH_ADMIN, "/sources")
        assert "/sources add <" in listing.text, "the placeholder is shown as written"
