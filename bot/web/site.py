"""The public pages' routes: the open appeals, a page per appeal and per case, an about page,
Atom feeds and iCalendar files (rendered by ``site_pages.Site``). Anyone may read them;
nothing on them is private.

Every page is rendered once per (page, language) and kept until something public changes
(PageCache, keyed by the content stamp). No cookie is set on GET; the one cookie, a random
number that counts a browser's protest once, is set by the protest form's POST only.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable, Collection
from typing import Any
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from bot.presentation import urls
from bot.presentation.labels import country_name
from bot.services.public import PageRef
from bot.web.cache import Rendered, answer
from bot.web.guard import form_of
from bot.web.pages import HEADERS as PAGE_HEADERS
from bot.web.pages import PAGES_KEY
from bot.web.site_pages import THANKS, Site
from templates import TEMPLATE_DIR
from templates.i18n import N_, _, current

BROWSER_COOKIE = "b"
_BROWSER = re.compile(r"[0-9a-f]{32}")
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    # Kept, but asked about each time: a conditional GET costs the server next to nothing.
    "Cache-Control": "no-cache",
    "Vary": "Accept-Language",
}
ASSET_HEADERS = {
    **{name: value for name, value in HEADERS.items() if name != "Vary"},
    "Cache-Control": "public, max-age=31536000, immutable",
}
MISSING_HEADERS = {**HEADERS, "Content-Security-Policy": PAGE_HEADERS["Content-Security-Policy"]}
NOT_FOUND = (
    N_("Page not found"),
    N_("There is no public appeal or case at this address (an appeal may have been withdrawn)."),
)


SITE_KEY = web.AppKey("site", Site)


# ---- handlers ---------------------------------------------------------------------------


async def _cached(
    request: web.Request, key: tuple[Any, ...], render: Callable[[], Awaitable[Rendered | None]]
) -> web.StreamResponse:
    site = request.app[SITE_KEY]
    stamp = await site.public.stamp()

    async def rendered() -> Rendered:
        page = await render()
        if page is None:
            pages = request.app[PAGES_KEY]
            missing = pages.message(_(NOT_FOUND[0]), _(NOT_FOUND[1]), status=404)
            assert isinstance(missing.body, bytes)
            return Rendered(missing.body, "text/html", status=404)
        return page

    page = await site.cache.get((*key, current(), site.public.period()), stamp, rendered)
    return answer(request, page, MISSING_HEADERS if page.status == 404 else HEADERS)


async def home(request: web.Request) -> web.StreamResponse:
    """The home page."""
    site = request.app[SITE_KEY]
    return await _cached(request, ("home",), site.home)


async def about(request: web.Request) -> web.StreamResponse:
    """The about page."""
    site = request.app[SITE_KEY]
    return await _cached(request, ("about",), site.about)


Resolve = Callable[[str], Awaitable[PageRef | None]]


async def _page_of(
    resolve: Resolve,
    ref: str,
    address: Callable[[str], str],
    render: Callable[[PageRef], Awaitable[Rendered | None]],
    query: str,
) -> Rendered | None:
    """Render what a reference names; a number (or an old spelling) redirects to the slug."""
    found = await resolve(ref)
    if found is None:
        return None
    if ref != found.slug:
        target = address(found.slug) + (f"?{query}" if query else "")
        return Rendered(b"", "text/plain", status=301, location=target)
    return await render(found)


# The values a page's query may take; anything else is the default, so that a made-up value
# ("?letters=qwertyui") costs no render and takes no place in the cache.
_LETTER_LANGUAGES = frozenset(
    path.name for path in (TEMPLATE_DIR / "letters").iterdir() if path.is_dir()
)


def _known(value: str, allowed: Collection[str]) -> str:
    return value if value in allowed else ""


async def appeal(request: web.Request) -> web.StreamResponse:
    """An appeal's page; its number redirects to its slug."""
    site = request.app[SITE_KEY]
    ref = request.match_info["ref"]
    letters = _known(request.query.get("letters", ""), _LETTER_LANGUAGES)
    sent = _known(request.query.get("sent", ""), THANKS)

    async def render(found: PageRef) -> Rendered | None:
        return await site.appeal(found.id, letters=letters or None, thanks=sent or None)

    return await _cached(
        request,
        ("appeal", ref, letters, sent),
        lambda: _page_of(
            site.public.appeal_ref,
            ref,
            urls.appeal,
            render,
            request.query_string,
        ),
    )


async def case(request: web.Request) -> web.StreamResponse:
    """A case's page; its number redirects to its slug."""
    site = request.app[SITE_KEY]
    ref = request.match_info["ref"]

    async def render(found: PageRef) -> Rendered | None:
        return await site.case(found.id)

    return await _cached(
        request,
        ("case", ref),
        lambda: _page_of(site.public.case_ref, ref, urls.case, render, request.query_string),
    )


async def protest(request: web.Request) -> web.StreamResponse:
    """Count "I sent a protest" from an appeal's page, then show the page again."""
    site, pages = request.app[SITE_KEY], request.app[PAGES_KEY]
    found = await site.public.appeal_ref(request.match_info["ref"])
    if found is None:
        return pages.message(_(NOT_FOUND[0]), _(NOT_FOUND[1]), status=404)
    form = await form_of(request)
    if not site.public.token_ok(found.id, str(form.get("token", ""))[:64]):
        return pages.message(
            _("Please try again"),
            _(
                "This form is too old or did not come from this site. Open the appeal's page "
                "again and press the button there."
            ),
            status=403,
        )
    browser = request.cookies.get(BROWSER_COOKIE, "")
    fresh = _BROWSER.fullmatch(browser) is None
    if fresh:
        browser = secrets.token_hex(16)
    counted = await site.public.protest(found.id, browser=browser, client=request.remote or "?")
    if counted is None:
        return pages.message(
            _("Too many at once"),
            _(
                "Many protests came from your network for this appeal: thank you. No more are "
                "counted from it for a few hours."
            ),
            status=429,
        )
    sent = "closed" if counted.closed else ("1" if counted.counted else "0")
    response = web.HTTPSeeOther(
        f"{urls.appeal(found.slug)}?{urlencode({'lang': current(), 'sent': sent})}#protest"
    )
    if fresh:
        response.set_cookie(
            BROWSER_COOKIE,
            browser,
            max_age=400 * 24 * 3600,
            path=urls.appeal(""),
            httponly=True,
            samesite="Strict",
            secure=urlsplit(site.base).scheme == "https",
        )
    return response


async def feed_all(request: web.Request) -> web.StreamResponse:
    """Every public appeal, as Atom."""
    site = request.app[SITE_KEY]
    return await _cached(
        request, ("feed",), lambda: site.feed(urls.feed_all(), _("Urgent appeals"))
    )


async def feed_country(request: web.Request) -> web.StreamResponse:
    """One country's public appeals, as Atom."""
    site = request.app[SITE_KEY]
    code = request.match_info["country"].upper()
    name = country_name(code)
    return await _cached(
        request,
        ("feed", code),
        lambda: site.feed(
            urls.feed_country(code),
            _("Appeals from %(country)s") % {"country": name},
            country=code,
        ),
    )


def _of_case(
    kind: str, address: Callable[[str], str], render: Callable[[Site, PageRef], Awaitable[Rendered]]
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Return a handler for one case's file (feed, calendar) at ``address`` of its slug."""

    async def handler(request: web.Request) -> web.StreamResponse:
        site = request.app[SITE_KEY]
        ref = request.match_info["ref"]

        async def rendered(found: PageRef) -> Rendered:
            return await render(site, found)

        return await _cached(
            request,
            (kind, ref),
            lambda: _page_of(site.public.case_ref, ref, address, rendered, request.query_string),
        )

    return handler


feed_case = _of_case("feed-case", urls.feed_case, Site.case_feed)
calendar_case = _of_case("ics-case", urls.calendar_case, Site.case_calendar)


async def calendar_open(request: web.Request) -> web.StreamResponse:
    """Court days and deadlines of every open appeal, as iCalendar."""
    site = request.app[SITE_KEY]
    return await _cached(request, ("ics",), lambda: site.calendar(_("Court dates and deadlines")))


async def static(request: web.Request) -> web.StreamResponse:
    """The stylesheet and the script: kept by browsers for a year (the address changes
    with the content)."""
    site = request.app[SITE_KEY]
    asset = site.assets.get(request.match_info["name"])
    if asset is None:
        raise web.HTTPNotFound()
    return answer(request, asset.page, ASSET_HEADERS)


def add_routes(router: web.UrlDispatcher) -> None:
    """Add the public pages, feeds and calendars."""
    router.add_get(urls.Route.HOME, home)
    router.add_get(urls.Route.ABOUT, about)
    router.add_get(urls.Route.APPEAL, appeal)
    router.add_post(urls.Route.PROTEST, protest)
    router.add_get(urls.Route.CASE, case)
    router.add_get(urls.Route.FEED_ALL, feed_all)
    router.add_get(urls.Route.FEED_COUNTRY, feed_country)
    router.add_get(urls.Route.FEED_CASE, feed_case)
    router.add_get(urls.Route.CALENDAR_OPEN, calendar_open)
    router.add_get(urls.Route.CALENDAR_CASE, calendar_case)
    router.add_get("/static/{name}", static)
