"""The one map of public addresses: the routes the HTTP app serves and the paths that pages,
emails, bot messages, feeds and calendars link to are written here and nowhere else."""

from __future__ import annotations

from urllib.parse import urlencode

# What a reference in a path may be: an appeal's or case's number or slug.
REF = "{ref:[A-Za-z0-9][A-Za-z0-9-]{0,120}}"
TOKEN = "{token:[A-Za-z0-9_-]{16,64}}"


class Route:
    """The patterns the HTTP app routes (aiohttp's syntax)."""

    HOME = "/"
    ABOUT = "/about"
    SUBSCRIBE = "/subscribe"
    APPEAL = f"/appeals/{REF}"
    PROTEST = f"/appeals/{REF}/protest"
    CASE = f"/cases/{REF}"
    FEED_ALL = "/feeds/appeals.atom"
    FEED_COUNTRY = "/feeds/countries/{country:[A-Za-z]{2}}.atom"
    FEED_CASE = f"/feeds/cases/{REF}.atom"
    CALENDAR_OPEN = "/calendar/open.ics"
    CALENDAR_CASE = f"/calendar/cases/{REF}.ics"
    EMAIL_CONFIRM = f"/email/confirm/{TOKEN}"
    EMAIL_UNSUBSCRIBE = f"/email/unsubscribe/{TOKEN}"
    EMAIL_FORGET = f"/email/forget/{TOKEN}"
    EMAIL_SETTINGS = f"/email/settings/{TOKEN}"


def home() -> str:
    """Return the home page: the open appeals."""
    return Route.HOME


def about() -> str:
    """Return the page about the site."""
    return Route.ABOUT


def subscribe() -> str:
    """Return the email sign-up page."""
    return Route.SUBSCRIBE


def appeal(ref: str) -> str:
    """Return an appeal's page."""
    return f"/appeals/{ref}"


def case(ref: str) -> str:
    """Return a case's page."""
    return f"/cases/{ref}"


def page(kind: str, ref: str) -> str:
    """Return the page of an appeal or a case (``kind``: "appeals" or "cases")."""
    return appeal(ref) if kind == "appeals" else case(ref)


def protest(ref: str) -> str:
    """Return where an appeal page's protest form posts."""
    return f"{appeal(ref)}/protest"


def feed_all() -> str:
    """Return the Atom feed of every appeal."""
    return "/feeds/appeals.atom"


def feed_country(code: str) -> str:
    """Return the Atom feed of a country's appeals."""
    return f"/feeds/countries/{code.lower()}.atom"


def feed_case(ref: str) -> str:
    """Return the Atom feed of a case's appeals."""
    return f"/feeds/cases/{ref}.atom"


def calendar_open() -> str:
    """Return the calendar of every open appeal's dates."""
    return "/calendar/open.ics"


def calendar_case(ref: str) -> str:
    """Return the calendar of a case's court days and deadlines."""
    return f"/calendar/cases/{ref}.ics"


def email_confirm(token: str) -> str:
    """Return a sign-up's confirmation link."""
    return f"/email/confirm/{token}"


def email_unsubscribe(token: str) -> str:
    """Return a reader's one-click unsubscribe link."""
    return f"/email/unsubscribe/{token}"


def email_forget(token: str) -> str:
    """Return the page that deletes an address and everything about it."""
    return f"/email/forget/{token}"


def email_settings(token: str) -> str:
    """Return a reader's settings page."""
    return f"/email/settings/{token}"


def absolute(root: str, path: str, **query: str) -> str:
    """Return ``path`` under the public root, with a query if any."""
    url = f"{root.rstrip('/')}{path}"
    return f"{url}?{urlencode(query)}" if query else url
