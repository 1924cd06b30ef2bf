"""The public pages: the open appeals, a page per appeal and per case, an about page, Atom
feeds and iCalendar files. Anyone may read them; nothing on them is private.

Every page is rendered once per (page, language) and kept until something public changes
(PageCache, keyed by the content stamp). No cookie is set on GET; the one cookie, a random
number that counts a browser's protest once, is set by the protest form's POST only.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from aiohttp import web

from bot.presentation.feeds import FeedItem, atom, calendar
from bot.presentation.labels import country_name, kind_label
from bot.presentation.localized import case_name
from bot.presentation.render import Presenter
from bot.presentation.views import AppealCard, appeal_card, case_page, contact_groups
from bot.services.appeals import Aged
from bot.services.public import PageRef, PublicService
from bot.web.cache import PageCache, Rendered, answer
from bot.web.guard import form_of
from bot.web.pages import HEADERS as PAGE_HEADERS
from bot.web.pages import PAGES_KEY
from templates import TEMPLATE_DIR
from templates.i18n import LANGUAGES, N_, NAMES, _, current

STATIC = TEMPLATE_DIR / "web" / "static"
BROWSER_COOKIE = "b"
_BROWSER = re.compile(r"[0-9a-f]{32}")
_REF = r"{ref:[A-Za-z0-9][A-Za-z0-9-]{0,120}}"
LOCALES = {"en": "en_GB", "ru": "ru_RU"}
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
THANKS = {
    "1": N_("Thank you: your protest is counted."),
    "0": N_("Your protest was already counted. Thank you."),
    "closed": N_("No further action is requested. Thank you to everyone who wrote."),
}


@dataclass(frozen=True, slots=True)
class Asset:
    """A stylesheet or script, served from memory under an address that names its version."""

    page: Rendered
    href: str


def _asset(name: str, content_type: str) -> Asset:
    body = (STATIC / name).read_bytes()
    version = hashlib.sha256(body).hexdigest()[:10]
    return Asset(Rendered(body, content_type), f"/static/{name}?v={version}")


class Site:
    """Render the public pages from what PublicService reads."""

    def __init__(
        self,
        public: PublicService,
        presenter: Presenter,
        *,
        name: str,
        image: str | None = None,
        bot: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.public = public
        self.presenter = presenter
        self.name = name
        self.image = image
        self.bot = bot
        self.base = presenter.public_url
        self.cache = PageCache()

    @cached_property
    def assets(self) -> dict[str, Asset]:
        """Return the stylesheet and the script, read when first asked for (every command
        builds the app; only a server needs them)."""
        return {
            "site.css": _asset("site.css", "text/css"),
            "copy.js": _asset("copy.js", "text/javascript"),
        }

    # ---- addresses ---------------------------------------------------------------------

    def url(self, path: str, *, language: str | None = None, **query: str) -> str:
        """Return a page's absolute address, in ``language`` (default: the current one)."""
        return self.presenter.address(path, language=language, **query)

    def appeal_url(self, slug: str, language: str | None = None) -> str:
        """Return an appeal page's address."""
        return self.url(f"/appeals/{slug}", language=language)

    def case_url(self, slug: str, language: str | None = None) -> str:
        """Return a case page's address."""
        return self.url(f"/cases/{slug}", language=language)

    def webcal(self, url: str) -> str:
        """Return a calendar's address for subscribing (webcal:)."""
        return "webcal://" + url.split("://", 1)[1]

    # ---- rendering ---------------------------------------------------------------------

    def _meta(
        self, path: str, title: str, description: str, kind: str = "website"
    ) -> dict[str, Any]:
        return {
            "title": title,
            "description": description,
            "canonical": self.url(path),
            "alternates": [
                *((code, self.url(path, language=code)) for code in LANGUAGES),
                ("x-default", f"{self.base}{path}"),
            ],
            "languages": [(code, NAMES[code], self.url(path, language=code)) for code in LANGUAGES],
            "feeds": [
                {"title": _("Atom feed of every appeal"), "href": self.url("/feeds/appeals.atom")}
            ],
            "kind": kind,
            "locale": LOCALES.get(current(), current()),
            "home": self.url("/"),
            "about": self.url("/about"),
            "feed_all": self.url("/feeds/appeals.atom"),
            "calendar_open": self.url("/calendar/open.ics"),
            "webcal_open": self.webcal(self.url("/calendar/open.ics")),
        }

    def _html(self, name: str, meta: dict[str, Any], **values: Any) -> Rendered:
        site = {
            "name": self.name,
            "image": self.image,
            "css": self.assets["site.css"].href,
            "js": self.assets["copy.js"].href,
            "subscribe": self.url("/subscribe"),
        }
        body = self.presenter.templates.render(
            f"web/site/{name}.html.j2",
            meta=meta,
            site=site,
            appeal_href=lambda slug: self.appeal_url(slug),
            case_href=lambda slug: self.case_url(slug),
            **values,
        )
        return Rendered(body.encode(), "text/html")

    def _bot_link(self, payload: str) -> str | None:
        username = self.bot()
        return f"https://t.me/{username}?start={payload}" if username else None

    def _cards(self, items: list[Aged]) -> list[AppealCard]:
        return [appeal_card(item.appeal, item.age) for item in items]

    async def home(self) -> Rendered:
        """Render the home page: open appeals first, then recent past ones."""
        home = await self.public.home()
        meta = self._meta(
            "/",
            _("Urgent appeals"),
            _(
                "Activists arrested, beaten or put on trial, and what you can do: whom to "
                "write to, and a letter to send."
            ),
        )
        return self._html(
            "home",
            meta,
            open=self._cards(home.open),
            past=self._cards(home.past),
            bot_link=self._bot_link("start") if self.bot() else None,
        )

    async def about(self) -> Rendered:
        """Render the about page."""
        meta = self._meta(
            "/about",
            _("About these pages"),
            _("What these pages are, how to help, and what they keep about you: nothing."),
        )
        return self._html("about", meta)

    async def appeal(
        self, appeal_id: int, *, letters: str | None, thanks: str | None
    ) -> Rendered | None:
        """Render an appeal's page (None: not public)."""
        shown = await self.public.appeal(appeal_id)
        if shown is None:
            return None
        appeal, age = shown.appeal, shown.age
        card = appeal_card(appeal, age, protests=shown.protests)
        pack = self.presenter.letter_pack(appeal, age, language=letters)
        path = f"/appeals/{card.slug}"
        description = _describe(card.summary)
        meta = self._meta(path, card.title, description, kind="article")
        meta["feeds"] = [*meta["feeds"], *self._feeds_of(card)]
        protest = None
        if card.asks and (pack.writable or pack.calls):
            protest = {
                "token": self.public.form_token(appeal_id),
                "action": f"{path}/protest?lang={current()}",
                "total": shown.protests,
                "thanks": _(THANKS[thanks]) if thanks in THANKS else None,
            }
        canonical = meta["canonical"]
        first_case = card.cases[0] if card.cases else None
        calendar_url = (
            self.url(f"/calendar/cases/{first_case.slug}.ics")
            if first_case
            else self.url("/calendar/open.ics")
        )
        return self._html(
            "appeal",
            meta,
            appeal=card,
            kind_word=(_("Urgent appeal") if card.urgent else kind_label(appeal.kind).capitalize()),
            groups=contact_groups(appeal),
            pack=pack,
            letter_languages=[
                (code, NAMES.get(code, code), self.url(path, letters=code))
                for code in pack.languages
            ],
            protest=protest,
            share={
                "telegram": "https://t.me/share/url?"
                + urlencode({"url": canonical, "text": card.title}),
                "whatsapp": "https://wa.me/?" + urlencode({"text": f"{card.title} {canonical}"}),
                "email": "mailto:?"
                + urlencode(
                    {"subject": card.title, "body": f"{description}\n\n{canonical}"},
                    quote_via=quote,
                ),
            },
            bot_link=self._bot_link(f"appeal_{appeal_id}"),
            calendar={"download": calendar_url, "webcal": self.webcal(calendar_url)},
        )

    def _feeds_of(self, card: AppealCard) -> list[dict[str, str]]:
        feeds = []
        if card.country:
            feeds.append(
                {
                    "title": _("Atom feed of appeals from %(country)s")
                    % {"country": country_name(card.country)},
                    "href": self.url(f"/feeds/countries/{card.country.lower()}.atom"),
                }
            )
        for case in card.cases:
            feeds.append(
                {
                    "title": _("Atom feed of appeals about %(name)s") % {"name": case.name},
                    "href": self.url(f"/feeds/cases/{case.slug}.atom"),
                }
            )
        return feeds

    async def case(self, case_id: int) -> Rendered | None:
        """Render a case's page (None: not public)."""
        found = await self.public.case(case_id)
        if found is None:
            return None
        page = case_page(found)
        path = f"/cases/{page.slug}"
        meta = self._meta(path, page.name, _describe(page.summary or page.status), kind="article")
        meta["feeds"] = [
            *meta["feeds"],
            {
                "title": _("Atom feed of appeals about %(name)s") % {"name": page.name},
                "href": self.url(f"/feeds/cases/{page.slug}.atom"),
            },
        ]
        calendar_url = self.url(f"/calendar/cases/{page.slug}.ics")
        return self._html(
            "case",
            meta,
            case=page,
            bot_link=self._bot_link(f"case_{case_id}"),
            calendar={"download": calendar_url, "webcal": self.webcal(calendar_url)},
        )

    def _dated(self, items: list[Aged]) -> list[FeedItem]:
        return [
            FeedItem(
                item.appeal,
                item.age,
                self.appeal_url(item.appeal.slug),
                tuple(self.case_url(case.slug) for case in item.appeal.cases),
            )
            for item in items
        ]

    async def feed(
        self, path: str, title: str, *, country: str | None = None, case_id: int | None = None
    ) -> Rendered:
        """Render an Atom feed of public appeals."""
        listing = await self.public.feed(country=country, case_id=case_id)
        body = atom(
            self._dated(listing.appeals),
            title=f"{title} · {self.name}",
            self_url=self.url(path),
            page_url=self.url("/"),
            site_name=self.name,
            changed=listing.changed,
        )
        return Rendered(body, "application/atom+xml", last_modified=listing.changed)

    async def calendar(self, name: str, *, case_id: int | None = None) -> Rendered:
        """Render an iCalendar file: one case's court days and deadlines, or every open
        appeal's."""
        if case_id is None:
            items = await self.public.open_appeals()
            changed = None
        else:
            listing = await self.public.feed(case_id=case_id)
            items, changed = listing.appeals, listing.changed
        body = calendar(
            self._dated(items), name=f"{name} · {self.name}", stamp=changed or self.public.now()
        )
        return Rendered(body, "text/calendar", last_modified=changed)

    async def case_feed(self, found: PageRef) -> Rendered:
        """Render the Atom feed of one case's appeals."""
        shown = await self.public.case(found.id)
        name = case_name(shown.case) if shown else found.slug
        return await self.feed(
            f"/feeds/cases/{found.slug}.atom",
            _("Appeals about %(name)s") % {"name": name},
            case_id=found.id,
        )

    async def case_calendar(self, found: PageRef) -> Rendered:
        """Render the calendar of one case's court days and deadlines."""
        shown = await self.public.case(found.id)
        name = case_name(shown.case) if shown else found.slug
        return await self.calendar(name, case_id=found.id)


SITE_KEY = web.AppKey("site", Site)


def _describe(text: str, limit: int = 200) -> str:
    """Return the start of a text for a link preview: whole words, at most ``limit``."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0] + "…"


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
            lambda slug: f"/appeals/{slug}",
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
        lambda: _page_of(
            site.public.case_ref, ref, lambda slug: f"/cases/{slug}", render, request.query_string
        ),
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
        f"/appeals/{found.slug}?{urlencode({'lang': current(), 'sent': sent})}#protest"
    )
    if fresh:
        response.set_cookie(
            BROWSER_COOKIE,
            browser,
            max_age=400 * 24 * 3600,
            path="/appeals/",
            httponly=True,
            samesite="Strict",
            secure=urlsplit(site.base).scheme == "https",
        )
    return response


async def feed_all(request: web.Request) -> web.StreamResponse:
    """Every public appeal, as Atom."""
    site = request.app[SITE_KEY]
    return await _cached(
        request, ("feed",), lambda: site.feed("/feeds/appeals.atom", _("Urgent appeals"))
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
            f"/feeds/countries/{code.lower()}.atom",
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


feed_case = _of_case("feed-case", lambda slug: f"/feeds/cases/{slug}.atom", Site.case_feed)
calendar_case = _of_case("ics-case", lambda slug: f"/calendar/cases/{slug}.ics", Site.case_calendar)


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
    router.add_get("/", home)
    router.add_get("/about", about)
    router.add_get(f"/appeals/{_REF}", appeal)
    router.add_post(f"/appeals/{_REF}/protest", protest)
    router.add_get(f"/cases/{_REF}", case)
    router.add_get("/feeds/appeals.atom", feed_all)
    router.add_get("/feeds/countries/{country:[A-Za-z]{2}}.atom", feed_country)
    router.add_get(r"/feeds/cases/{ref:[A-Za-z0-9][A-Za-z0-9-]{0,120}}.atom", feed_case)
    router.add_get("/calendar/open.ics", calendar_open)
    router.add_get(r"/calendar/cases/{ref:[A-Za-z0-9][A-Za-z0-9-]{0,120}}.ics", calendar_case)
    router.add_get("/static/{name}", static)
