"""The public pages as they are rendered: the open appeals, a page per appeal and per case,
an about page, Atom feeds and iCalendar files, from what PublicService reads."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import quote, urlencode

from bot.presentation import urls
from bot.presentation.feeds import FeedItem, atom, calendar
from bot.presentation.labels import country_name, kind_label
from bot.presentation.localized import case_name
from bot.presentation.render import Presenter
from bot.presentation.views import AppealCard, appeal_card, case_page, contact_groups
from bot.services.appeals import AgedAppeal
from bot.services.public import PageRef, PublicService
from bot.web.cache import PageCache, Rendered
from templates import TEMPLATE_DIR
from templates.i18n import LANGUAGES, N_, NAMES, _, current

STATIC = TEMPLATE_DIR / "web" / "static"
LOCALES = {"en": "en_GB", "ru": "ru_RU"}
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
        return self.url(urls.appeal(slug), language=language)

    def case_url(self, slug: str, language: str | None = None) -> str:
        """Return a case page's address."""
        return self.url(urls.case(slug), language=language)

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
            "feeds": [{"title": _("Atom feed of every appeal"), "href": self.url(urls.feed_all())}],
            "kind": kind,
            "locale": LOCALES.get(current(), current()),
            "home": self.url(urls.home()),
            "about": self.url(urls.about()),
            "feed_all": self.url(urls.feed_all()),
            "calendar_open": self.url(urls.calendar_open()),
            "webcal_open": self.webcal(self.url(urls.calendar_open())),
        }

    def _html(self, name: str, meta: dict[str, Any], **values: Any) -> Rendered:
        site = {
            "name": self.name,
            "image": self.image,
            "css": self.assets["site.css"].href,
            "js": self.assets["copy.js"].href,
            "subscribe": self.url(urls.subscribe()),
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

    def _cards(self, items: list[AgedAppeal]) -> list[AppealCard]:
        return [appeal_card(item.appeal, item.age) for item in items]

    async def home(self) -> Rendered:
        """Render the home page: open appeals first, then recent past ones."""
        home = await self.public.home()
        meta = self._meta(
            urls.home(),
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
            urls.about(),
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
        path = urls.appeal(card.slug)
        description = _describe(card.summary)
        meta = self._meta(path, card.title, description, kind="article")
        meta["feeds"] = [*meta["feeds"], *self._feeds_of(card)]
        protest = None
        if card.asks and (pack.writable or pack.calls):
            protest = {
                "token": self.public.form_token(appeal_id),
                "action": f"{urls.protest(card.slug)}?lang={current()}",
                "total": shown.protests,
                "thanks": _(THANKS[thanks]) if thanks in THANKS else None,
            }
        canonical = meta["canonical"]
        first_case = card.cases[0] if card.cases else None
        calendar_url = (
            self.url(urls.calendar_case(first_case.slug))
            if first_case
            else self.url(urls.calendar_open())
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
                    "href": self.url(urls.feed_country(card.country)),
                }
            )
        for case in card.cases:
            feeds.append(
                {
                    "title": _("Atom feed of appeals about %(name)s") % {"name": case.name},
                    "href": self.url(urls.feed_case(case.slug)),
                }
            )
        return feeds

    async def case(self, case_id: int) -> Rendered | None:
        """Render a case's page (None: not public)."""
        found = await self.public.case(case_id)
        if found is None:
            return None
        page = case_page(found)
        path = urls.case(page.slug)
        meta = self._meta(path, page.name, _describe(page.summary or page.status), kind="article")
        meta["feeds"] = [
            *meta["feeds"],
            {
                "title": _("Atom feed of appeals about %(name)s") % {"name": page.name},
                "href": self.url(urls.feed_case(page.slug)),
            },
        ]
        calendar_url = self.url(urls.calendar_case(page.slug))
        return self._html(
            "case",
            meta,
            case=page,
            bot_link=self._bot_link(f"case_{case_id}"),
            calendar={"download": calendar_url, "webcal": self.webcal(calendar_url)},
        )

    def _dated(self, items: list[AgedAppeal]) -> list[FeedItem]:
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
            page_url=self.url(urls.home()),
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
            urls.feed_case(found.slug),
            _("Appeals about %(name)s") % {"name": name},
            case_id=found.id,
        )

    async def case_calendar(self, found: PageRef) -> Rendered:
        """Render the calendar of one case's court days and deadlines."""
        shown = await self.public.case(found.id)
        name = case_name(shown.case) if shown else found.slug
        return await self.calendar(name, case_id=found.id)


def _describe(text: str, limit: int = 200) -> str:
    """Return the start of a text for a link preview: whole words, at most ``limit``."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0] + "…"
