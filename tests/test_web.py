"""The public pages, feeds and calendars over HTTP, as `appealbot web` serves them: one server
for the module, on a seeded database with one appeal made current, one withdrawn, one a draft."""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from functools import partial
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from unicodedata import normalize
from urllib.parse import parse_qs, urlsplit

import aiohttp
import feedparser
import pytest
import pytest_asyncio
from icalendar import Calendar
from multidict import CIMultiDictProxy
from pypdf import PdfReader
from selenium.webdriver.common.by import By
from sqlalchemy import insert, update

from bot.services.actors import Actor
from core.timing import system_clock
from storage.enums import AppealStatus, DatePrecision, EventKind
from storage.items import Publication
from storage.models import Appeal, AppealEvent
from templates.i18n import speaking
from tests.support.app import app_for
from tests.support.bot import sessions_for
from tests.support.browser import chromium
from tests.support.delivery import make_current
from tests.support.site import BOT, running_site
from tests.support.timeline import MovableClock

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.xdist_group("web")]

OPEN, TARAZ, WITHDRAWN, DRAFT = 3, 2, 4, 5
OPEN_SLUG = "2011-05-02-may-day-attack"
TRIAL_IN = 3  # days from today
DEADLINE_IN = 5
# Midday in UTC is the same day in Almaty, where the case is: "5 days left" counts the same
# whatever the hour the suite runs at.
CLOCK = MovableClock(datetime.combine(system_clock().date(), time(12), tzinfo=UTC))


async def prepare(url: str) -> None:
    """One appeal asks for action again, with a trial and a deadline ahead; one is
    withdrawn; one is back to a draft."""
    await make_current(url, OPEN, TARAZ)
    today = CLOCK().date()
    async with sessions_for(url) as sessions, sessions.begin() as session:
        await session.execute(
            update(Appeal)
            .where(Appeal.id == OPEN)
            .values(deadline=today + timedelta(days=DEADLINE_IN))
        )
        await session.execute(
            insert(AppealEvent).values(
                appeal_id=OPEN,
                on_date=today + timedelta(days=TRIAL_IN),
                label="Appeal hearing of Dmitry Tikhonov",
                precision=DatePrecision.DAY,
                kind=EventKind.HEARING,
            )
        )
        await session.execute(
            update(Appeal).where(Appeal.id == DRAFT).values(status=AppealStatus.DRAFT)
        )
    async with app_for(url) as app:
        await app.services.publishing.withdraw(WITHDRAWN, actor=Actor("test"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def web(
    seeded_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """Serve the pages once for the module; give their root."""
    copy = tmp_path_factory.mktemp("web") / "seeded.db"
    shutil.copyfile(seeded_template, copy)
    url = f"sqlite+aiosqlite:///{copy}"
    await prepare(url)
    async with running_site(url, clock=CLOCK, site_name="Solidarity test network") as root:
        yield root


class Tags(HTMLParser):
    """Collect a page's meta and link tags, and its forms' hidden fields."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str]] = []
        self.hidden: dict[str, str] = {}
        self.scripts: list[dict[str, str]] = []
        self.inline = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "meta":
            key = found.get("property") or found.get("name")
            if key:
                self.meta[key] = found.get("content", "")
        elif tag == "link":
            self.links.append(found)
        elif tag == "input" and found.get("type") == "hidden":
            self.hidden[found["name"]] = found.get("value", "")
        elif tag == "script":
            self.scripts.append(found)
        if "style" in found or any(key.startswith("on") for key in found):
            self.inline += 1


def tags(page: str) -> Tags:
    parsed = Tags()
    parsed.feed(page)
    return parsed


async def get(
    http: aiohttp.ClientSession, url: str, **headers: str
) -> tuple[int, str, CIMultiDictProxy[str]]:
    async with http.get(url, headers=headers, allow_redirects=False) as answer:
        return answer.status, await answer.text(), answer.headers


async def test_an_appeal_page_holds_what_the_bot_says_in_both_languages(web: str) -> None:
    async with aiohttp.ClientSession() as http:
        status, _, headers = await get(http, f"{web}/appeals/{OPEN}?lang=ru")
        assert status == 301, "a number redirects to the page's stable address"
        assert headers["Location"] == f"/appeals/{OPEN_SLUG}?lang=ru"

        status, page, headers = await get(http, f"{web}/appeals/{OPEN_SLUG}?lang=en")
        assert status == 200
        meta = tags(page)
        assert meta.meta["og:title"].startswith("Almaty")
        assert meta.meta["og:url"] == f"{web}/appeals/{OPEN_SLUG}?lang=en"
        assert meta.meta["og:site_name"] == "Solidarity test network"
        assert meta.meta["og:locale"] == "en_GB"
        assert meta.meta["twitter:card"] == "summary"
        assert len(meta.meta["og:description"]) <= 201
        rel = {(link.get("rel"), link.get("hreflang")): link["href"] for link in meta.links}
        assert rel[("canonical", None)] == f"{web}/appeals/{OPEN_SLUG}?lang=en"
        assert rel[("alternate", "ru")] == f"{web}/appeals/{OPEN_SLUG}?lang=ru"
        assert rel[("alternate", "x-default")] == f"{web}/appeals/{OPEN_SLUG}"
        feeds = [link["href"] for link in meta.links if link.get("type") == "application/atom+xml"]
        assert f"{web}/feeds/appeals.atom?lang=en" in feeds
        assert f"{web}/feeds/countries/kz.atom?lang=en" in feeds
        assert f"{web}/feeds/cases/dmitry-tikhonov.atom?lang=en" in feeds
        # What /appeal, /contacts and /letter say: standing, demands, offices, letters.
        assert "Act by" in page
        assert f"({DEADLINE_IN} days left)" in page
        assert "Demands" in page
        assert "Whom to protest to" in page
        assert 'href="mailto:' in page
        assert 'href="tel:+7' in page
        assert "Appeal hearing of Dmitry Tikhonov" in page
        assert "I sent a protest" in page
        assert f"https://t.me/{BOT}?start=appeal_{OPEN}" in page
        assert "https://t.me/share/url?url=" in page
        assert "https://wa.me/?text=" in page
        assert f"webcal://127.0.0.1:{urlsplit(web).port}/calendar/cases/" in page
        # Safe by construction: no inline script or style, no third-party asset.
        assert meta.inline == 0
        assert all(script["src"].startswith("/static/") for script in meta.scripts)
        assert not re.search(r'(src|href)="https?://(?!127\.0\.0\.1)[^"]*\.(js|css)', page)
        assert "Set-Cookie" not in headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Content-Type-Options"] == "nosniff"
        css = await get(
            http, web + next(link["href"] for link in meta.links if link.get("rel") == "stylesheet")
        )
        assert css[0] == 200
        assert len(page.encode()) + len(css[1].encode()) < 60 * 1024, "small enough for 2G"

        status, russian, _ = await get(
            http, f"{web}/appeals/{OPEN_SLUG}", **{"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}
        )
        assert status == 200
        assert '<html lang="ru">' in russian
        assert "Куда направлять протесты" in russian
        assert "Письма" in russian
        assert tags(russian).meta["og:locale"] == "ru_RU"
        assert f"{web}/appeals/{OPEN_SLUG}?lang=ru" == tags(russian).meta["og:url"]


async def test_pages_are_kept_and_answered_conditionally(web: str) -> None:
    async with aiohttp.ClientSession() as http:
        status, _page, headers = await get(http, f"{web}/appeals/{OPEN_SLUG}?lang=en")
        etag = headers["ETag"]
        status, again, _ = await get(
            http, f"{web}/appeals/{OPEN_SLUG}?lang=en", **{"If-None-Match": etag}
        )
        assert status == 304
        assert again == ""
        async with http.head(f"{web}/appeals/{OPEN_SLUG}?lang=en") as head:
            assert head.status == 200
            assert head.headers["ETag"] == etag
        status, _other, headers = await get(
            http, f"{web}/appeals/{OPEN_SLUG}?lang=ru", **{"If-None-Match": etag}
        )
        assert status == 200, "another language is another page"
        assert headers["ETag"] != etag


async def test_home_case_and_about_pages(web: str) -> None:
    async with aiohttp.ClientSession() as http:
        status, home, _ = await get(http, f"{web}/?lang=en")
        assert status == 200
        asking, _, past = home.partition("Recent past appeals")
        assert OPEN_SLUG in asking, "the open appeal is listed first"
        assert "2007-04-20-kurmanov-shanyrak" in past
        assert "socialist-action-statement" not in home, "a withdrawn appeal is not listed"
        assert "2012-01-new-wave-of-arrests" not in home, "a draft is not listed"

        status, _, headers = await get(http, f"{web}/cases/1")
        assert status == 301
        assert headers["Location"] == "/cases/ainur-kurmanov"
        status, case, _ = await get(http, f"{web}/cases/dmitry-tikhonov?lang=en")
        assert status == 200
        assert "Dmitry Tikhonov" in case
        assert "What happened when" in case
        assert f'href="{web}/appeals/{OPEN_SLUG}?lang=en"' in case
        assert "(?)" in case, "the inferred Taraz link is shown with its doubt"
        assert f"{web}/calendar/cases/dmitry-tikhonov.ics?lang=en" in case

        status, about, _ = await get(http, f"{web}/about?lang=ru")
        assert status == 200
        assert "Ваша приватность" in about


async def test_drafts_and_withdrawn_appeals_answer_404(web: str) -> None:
    async with aiohttp.ClientSession() as http:
        for path in (
            f"/appeals/{WITHDRAWN}",
            "/appeals/2011-05-20-socialist-action-statement",
            f"/appeals/{DRAFT}",
            "/appeals/2012-01-new-wave-of-arrests",
            "/appeals/99999999999999999999",
            "/cases/nobody-at-all",
            "/feeds/cases/nobody-at-all.atom",
        ):
            status, _page, headers = await get(http, web + path)
            assert status == 404, path
            assert "Set-Cookie" not in headers
        async with http.post(f"{web}/appeals/{WITHDRAWN}/protest", data={"token": "x"}) as post:
            assert post.status == 404


async def test_feeds_carry_only_published_appeals_and_answer_conditionally(web: str) -> None:
    async with aiohttp.ClientSession() as http:
        status, body, headers = await get(http, f"{web}/feeds/appeals.atom?lang=en")
        assert status == 200
        assert headers["Content-Type"].startswith("application/atom+xml")
        feed = feedparser.parse(body)
        assert not feed.bozo, feed.get("bozo_exception")
        links = [entry.link for entry in feed.entries]
        assert len(links) == 3
        assert all("/appeals/" in link for link in links)
        assert not any("socialist-action" in link or "new-wave" in link for link in links)
        may_day = next(entry for entry in feed.entries if OPEN_SLUG in entry.link)
        related = [link.href for link in may_day.links if link.rel == "related"]
        assert f"{web}/cases/dmitry-tikhonov?lang=en" in related

        status, _, _again = await get(
            http, f"{web}/feeds/appeals.atom?lang=en", **{"If-None-Match": headers["ETag"]}
        )
        assert status == 304
        status, _, _ = await get(
            http,
            f"{web}/feeds/appeals.atom?lang=en",
            **{"If-Modified-Since": headers["Last-Modified"]},
        )
        assert status == 304

        status, body, _ = await get(http, f"{web}/feeds/cases/vadim-kuramshin.atom?lang=ru")
        feed = feedparser.parse(body)
        assert not feed.bozo
        assert [entry.link for entry in feed.entries] == [f"{web}/appeals/{OPEN_SLUG}?lang=ru"]
        status, body, _ = await get(http, f"{web}/feeds/countries/kz.atom")
        assert len(feedparser.parse(body).entries) == 3


async def test_calendars_hold_court_days_and_deadlines_in_the_places_zone(web: str) -> None:
    async with aiohttp.ClientSession() as http:
        status, body, headers = await get(http, f"{web}/calendar/open.ics?lang=en")
        assert status == 200
        assert headers["Content-Type"].startswith("text/calendar")
        calendar = Calendar.from_ical(body)
        events = list(calendar.walk("VEVENT"))
        summaries = {str(event["SUMMARY"]): event for event in events}
        hearing = summaries["Appeal hearing of Dmitry Tikhonov"]
        start = hearing.decoded("DTSTART")
        assert start.date() == system_clock().date() + timedelta(days=TRIAL_IN)
        assert str(start.tzinfo) == "Asia/Almaty"
        assert hearing["DTSTART"].params["TZID"] == "Asia/Almaty"
        assert str(hearing["URL"]) == f"{web}/appeals/{OPEN_SLUG}?lang=en"
        deadline = next(
            event for name, event in summaries.items() if name.startswith("Last day to act")
        )
        assert deadline.decoded("DTSTART").date() == system_clock().date() + timedelta(
            days=DEADLINE_IN
        )
        assert calendar.walk("VTIMEZONE"), "the zone is defined in the file"
        assert "2011-05-20" not in body
        status, body, _ = await get(http, f"{web}/calendar/cases/shanyrak-residents.ics")
        assert status == 200
        assert not list(Calendar.from_ical(body).walk("VEVENT")), "no court day, nothing open"


async def test_the_protest_button_counts_a_browser_once_and_refuses_forged_posts(web: str) -> None:
    page_url = f"{web}/appeals/{OPEN_SLUG}?lang=en"
    async with aiohttp.ClientSession() as http:
        _, page, _ = await get(http, page_url)
        token = tags(page).hidden["token"]
        action = f"{web}/appeals/{OPEN_SLUG}/protest?lang=en"
        async with http.post(action, data={}, allow_redirects=False) as forged:
            assert forged.status == 403
        async with http.post(action, data={"token": "0" * 32}, allow_redirects=False) as forged:
            assert forged.status == 403

    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:
        async with browser.post(action, data={"token": token}, allow_redirects=False) as sent:
            assert sent.status == 303
            assert sent.headers["Location"].endswith("sent=1#protest")
            cookie = sent.headers["Set-Cookie"]
            assert "HttpOnly" in cookie
            assert "SameSite=Strict" in cookie
            assert re.match(r"b=[0-9a-f]{32};", cookie)
        async with browser.post(action, data={"token": token}, allow_redirects=False) as again:
            assert again.headers["Location"].endswith("sent=0#protest")
            assert "Set-Cookie" not in again.headers
        async with browser.get(page_url + "&sent=0") as shown:
            text = await shown.text()
            assert "Your protest was already counted" in text
            assert re.search(r'class="counter">1<', text)

    # Ballot-stuffing: a script without cookies is counted a bounded number of times.
    answers = []
    async with aiohttp.ClientSession() as script:
        for _ in range(25):
            async with script.post(action, data={"token": token}, allow_redirects=False) as post:
                answers.append(post.status)
    assert answers == [303] * 19 + [429] * 6


async def test_the_bot_and_emails_point_to_the_pages(web: str, seeded_url: str) -> None:
    async with app_for(seeded_url, public_url="https://appeals.example.org") as app:
        shown = await app.services.appeals.show(OPEN)
        assert shown is not None
        with speaking("ru"):
            news = app.presenter.news(shown.appeal, Publication(OPEN))
            assert news is not None
            messages = [app.presenter.telegram_news(news), app.presenter.email_news(news)]
        for message in messages:
            assert message is not None
            assert f"https://appeals.example.org/appeals/{OPEN_SLUG}?lang=ru" in message.text


AXE = Path(__file__).parent.parent / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOT = Path(__file__).parent.parent / "docs" / "appeal-page.png"


def axe_violations(driver: Any) -> list[dict[str, Any]]:
    """Run axe-core on the open page; return its serious and critical WCAG 2.1 AA findings."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    found = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values:"
        " ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        ".then(r => done(r.violations), e => done([{id: 'axe failed', impact: 'critical',"
        " description: String(e)}]));"
    )
    return [v for v in found if v.get("impact") in ("serious", "critical")]


def open_page(address: str, driver: Any) -> None:
    driver.get(address)


async def test_pages_in_a_browser_read_print_and_pass_axe(web: str) -> None:
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci` (make does)")
    page = f"{web}/appeals/{OPEN_SLUG}"
    async with chromium() as browser:
        await browser.run(lambda d: d.set_window_size(420, 900))
        for language, heading in (("en", "Letters"), ("ru", "Письма")):
            await browser.run(partial(open_page, f"{page}?lang={language}"))
            text = await browser.run(lambda d: d.find_element(By.TAG_NAME, "main").text)
            assert heading in text
            assert (
                await browser.run(
                    lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang")
                )
                == language
            )

        if os.environ.get("APPEALBOT_UPDATE_SCREENSHOT") == "1":
            await browser.run(lambda d: d.get(f"{page}?lang=en"))
            await browser.run(lambda d: d.save_screenshot(str(SCREENSHOT)))

        await browser.run(lambda d: d.get(f"{page}?lang=en"))

        def letters(driver: Any) -> list[tuple[str, str, str]]:
            found = []
            for section in driver.find_elements(By.CSS_SELECTOR, "section.letter"):
                title = section.find_element(By.TAG_NAME, "h3").text
                body = section.find_element(By.TAG_NAME, "pre").text
                links = section.find_elements(By.CSS_SELECTOR, "a[href^='mailto:']")
                found.append((title, body, links[0].get_attribute("href") if links else ""))
            return found

        written = await browser.run(letters)
        assert len(written) >= 2, "the open appeal has a letter for several offices"
        with_mail = [(title, body, href) for title, body, href in written if href]
        assert with_mail, "at least one office takes email"
        for _title, body, href in with_mail:
            address, _, query = href.removeprefix("mailto:").partition("?")
            fields = parse_qs(query)
            assert "@" in address
            assert fields["body"][0].strip() == body.strip(), "the email opens with the letter"
            assert fields["subject"][0].endswith("a letter of concern")
        copied = await browser.run(
            lambda d: d.find_element(By.CSS_SELECTOR, "button[data-copy^='letter-']").is_displayed()
        )
        assert copied, "with JavaScript, the copy buttons show"

        printed = await browser.run(lambda d: d.print_page())
        pdf = PdfReader(io.BytesIO(base64.b64decode(printed)))
        # NFKC: the PDF's text may join "ffi" into one ligature.
        starts = [normalize("NFKC", page.extract_text()).strip() for page in pdf.pages]
        for title, _body, _href in written:
            on = [n for n, text in enumerate(starts) if text.startswith(title[:30])]
            assert len(on) == 1, f"{title!r} starts one printed page: {[s[:40] for s in starts]}"

        for path in (
            "/?lang=en",
            f"/appeals/{OPEN_SLUG}?lang=ru",
            "/cases/dmitry-tikhonov?lang=en",
        ):
            await browser.run(partial(open_page, web + path))
            assert await browser.run(axe_violations) == [], path


async def test_a_form_in_an_unknown_charset_is_a_bad_request_with_the_usual_headers(
    web: str,
) -> None:
    strange = {"Content-Type": "application/x-www-form-urlencoded; charset=x-no-such-charset"}
    async with aiohttp.ClientSession() as http:
        for path in (
            "/subscribe",
            f"/appeals/{OPEN_SLUG}/protest",
            "/email/settings/" + "a" * 32,
        ):
            async with http.post(
                f"{web}{path}", data=b"email=reader%40example.org&token=x", headers=strange
            ) as answer:
                assert answer.status == 400, (path, answer.status)
                assert answer.headers["X-Content-Type-Options"] == "nosniff", path
                assert answer.headers["X-Frame-Options"] == "DENY", path
