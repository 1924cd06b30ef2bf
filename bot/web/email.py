"""Email sign-up, confirmation, unsubscribe and settings pages.

GET never changes anything (mail scanners follow links): the confirmation, unsubscribe and
delete links show one button, and a POST does it (for unsubscribing at once, as RFC 8058's
one-click asks).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.presentation import urls
from bot.services import Services
from bot.services.email import EmailService, EmailSettings, SignUp
from bot.web.guard import form_of
from bot.web.pages import PAGES_KEY, Pages
from core.errors import BadInputError
from templates.i18n import LANGUAGES, N_, NAMES, _, current, use

SERVICES_KEY = web.AppKey("services", Services)
NOT_FOUND = (
    N_("Link not found"),
    N_("This link is not valid (or no longer is). Nothing was changed."),
)
ASKED = N_(
    "If this address can receive mail, a confirmation link is on its way. Open it within "
    "7 days to start getting appeals."
)
LATER = N_(
    "If this address can receive mail, a confirmation link is on its way; many people are "
    "signing up just now, so it may take a while. Open it within 7 days to start getting appeals."
)
CHOOSABLE = tuple((code, NAMES[code]) for code in LANGUAGES)


def _accepted(header: str) -> str | None:
    """Return the language a browser prefers most among those we speak."""
    ranked = []
    for position, item in enumerate(header.split(",")[:20]):
        code, _sep, params = item.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        base = code.strip().split("-")[0].lower()
        if base in LANGUAGES and weight > 0:
            ranked.append((-weight, position, base))
    return min(ranked)[2] if ranked else None


@web.middleware
async def language(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer in the language asked for (``?lang=``), else the one the browser prefers."""
    asked = request.query.get("lang", "")[:8]
    use(asked if asked in LANGUAGES else _accepted(request.headers.get("Accept-Language", "")))
    return await handler(request)


def _not_found(pages: Pages) -> web.Response:
    return pages.message(_(NOT_FOUND[0]), _(NOT_FOUND[1]), status=404)


def _sender_key(request: web.Request) -> str:
    # Only for counting sign-ups: a hash, never the address itself.
    return "ip:" + hashlib.sha256((request.remote or "?").encode()).hexdigest()[:16]


async def signup_page(request: web.Request) -> web.Response:
    """The sign-up form."""
    return request.app[PAGES_KEY].page("signup", note=None)


async def subscribe(request: web.Request) -> web.Response:
    """Take a sign-up from the form."""
    pages, services = request.app[PAGES_KEY], request.app[SERVICES_KEY]
    form = await form_of(request)
    chosen = str(form.get("language", ""))
    if chosen in LANGUAGES:
        use(chosen)
    if str(form.get("website", "")).strip():
        return pages.page("signup", note=_(ASKED))  # a bot filled the hidden field
    address = str(form.get("email", ""))[:320]
    try:
        outcome = await services.email.sign_up(
            address,
            sender_key=_sender_key(request),
            urgent_only=form.get("urgent_only") == "1",
            language=current(),
        )
    except BadInputError as exc:
        return pages.page("signup", status=400, note=_(str(exc)))
    if outcome is SignUp.NO_EMAIL:
        return pages.message(_("Not available"), _("This service sends no email."), status=503)
    if outcome is SignUp.SLOW_DOWN:
        note = _("Too many sign-ups from here just now. Please try again in an hour.")
        return pages.page("signup", status=429, note=note)
    return pages.page("signup", note=_(LATER if outcome is SignUp.LATER else ASKED))


Act = Callable[[EmailService, str], Awaitable[bool]]
Show = Callable[[Pages, str], web.Response]


def link(act: Act, show: Show) -> Handler:
    """Return the handler of a link in an email: ``act`` with its token (look it up, or do
    what the link does); a token it does not know gets a plain 404 and changes nothing."""

    async def handler(request: web.Request) -> web.StreamResponse:
        pages, services = request.app[PAGES_KEY], request.app[SERVICES_KEY]
        token = request.match_info["token"]
        if not await act(services.email, token):
            return _not_found(pages)
        return show(pages, token)

    return handler


def _button(name: str) -> Show:
    """Show the page of one button (its GET changes nothing: mail scanners open links)."""
    return lambda pages, token: pages.page(name, token=token)


def _said(title: str, text: str) -> Show:
    return lambda pages, _token: pages.message(_(title), _(text))


CONFIRMED = (
    N_("Confirmed"),
    N_("Thank you. Appeals will come to this address; each has a link to stop them."),
)
UNSUBSCRIBED = (N_("Unsubscribed"), N_("No more appeals will be sent to this address."))
FORGOTTEN = (
    N_("Forgotten"),
    N_("This address and everything about it have been deleted. Nothing is kept."),
)


async def settings_page(request: web.Request) -> web.Response:
    """What this address gets, to change."""
    pages, services = request.app[PAGES_KEY], request.app[SERVICES_KEY]
    token = request.match_info["token"]
    found = await services.email.settings(token)
    if found is None:
        return _not_found(pages)
    settings, choices = found
    if "lang" not in request.query:
        use(settings.language)
    return pages.page(
        "settings",
        token=token,
        settings=settings,
        choices=choices,
        languages=CHOOSABLE,
        note=None,
    )


async def change_settings(request: web.Request) -> web.Response:
    """Save what this address gets."""
    pages, services = request.app[PAGES_KEY], request.app[SERVICES_KEY]
    token = request.match_info["token"]
    form = await form_of(request)
    found = await services.email.settings(token)
    if found is None:
        return _not_found(pages)
    settings = found[0]
    picked = [str(value) for value in form.getall("case", [])]
    followed = tuple(int(value) for value in picked if value.isdigit() and len(value) < 10)
    hour = str(form.get("digest_hour", ""))
    zone = str(form.get("timezone", "")).strip()[:64]
    wanted = EmailSettings(
        urgent_only=form.get("urgent_only") == "1",
        digest=form.get("delivery", "digest" if settings.digest else "now") == "digest",
        countries=tuple(str(v)[:2] for v in form.getall("country", [])),
        followed=followed,
        digest_hour=int(hour) if hour.isdigit() and len(hour) <= 2 else settings.digest_hour,
        timezone=zone or None,
        language=str(form.get("language", settings.language))[:8],
    )
    await services.email.change(token, wanted)
    saved = await services.email.settings(token)
    assert saved is not None
    use(saved[0].language)
    note = _("Saved.")
    if zone and saved[0].timezone != zone:
        note = _(
            "Saved, but “%(zone)s” is not a time zone we know (write it like Europe/Berlin)."
        ) % {"zone": zone}
    return pages.page(
        "settings",
        token=token,
        settings=saved[0],
        choices=saved[1],
        languages=CHOOSABLE,
        note=note,
    )


def add_routes(router: web.UrlDispatcher) -> None:
    """Add the email pages."""
    router.add_get(urls.Route.SUBSCRIBE, signup_page)
    router.add_post(urls.Route.SUBSCRIBE, subscribe)
    # Each link's GET shows one button and changes nothing; its POST does what it says.
    router.add_get(urls.Route.EMAIL_CONFIRM, link(EmailService.awaiting, _button("confirm")))
    router.add_post(urls.Route.EMAIL_CONFIRM, link(EmailService.confirm, _said(*CONFIRMED)))
    router.add_get(urls.Route.EMAIL_UNSUBSCRIBE, link(EmailService.knows, _button("unsubscribe")))
    router.add_post(
        urls.Route.EMAIL_UNSUBSCRIBE, link(EmailService.unsubscribe, _said(*UNSUBSCRIBED))
    )
    router.add_get(urls.Route.EMAIL_FORGET, link(EmailService.knows_any, _button("forget")))
    router.add_post(urls.Route.EMAIL_FORGET, link(EmailService.forget, _said(*FORGOTTEN)))
    router.add_get(urls.Route.EMAIL_SETTINGS, settings_page)
    router.add_post(urls.Route.EMAIL_SETTINGS, change_settings)
