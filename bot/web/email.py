"""Email sign-up, confirmation, unsubscribe and settings pages.

GET never changes anything (mail scanners follow links): the confirmation, unsubscribe and
delete links show one button, and a POST does it (for unsubscribing at once, as RFC 8058's
one-click asks).
"""

from __future__ import annotations

import hashlib

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.services import Services
from bot.services.email import EmailSettings, SignUp
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
    form = await request.post()
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
    return pages.page("signup", note=_(ASKED))


async def confirm_page(request: web.Request) -> web.Response:
    """Show one button to confirm; change nothing (mail scanners open links)."""
    pages, services = request.app[PAGES_KEY], request.app[SERVICES_KEY]
    token = request.match_info["token"]
    if not await services.email.awaiting(token):
        return _not_found(pages)
    return pages.page("confirm", token=token)


async def confirm(request: web.Request) -> web.Response:
    """Confirm a sign-up: the button of the page the link opens."""
    pages, services = request.app[PAGES_KEY], request.app[SERVICES_KEY]
    if not await services.email.confirm(request.match_info["token"]):
        return _not_found(pages)
    return pages.message(
        _("Confirmed"),
        _("Thank you. Appeals will come to this address; each has a link to stop them."),
    )


async def unsubscribe_page(request: web.Request) -> web.Response:
    """Show one button; change nothing."""
    pages, services = request.app[PAGES_KEY], request.app[SERVICES_KEY]
    token = request.match_info["token"]
    if not await services.email.knows(token):
        return _not_found(pages)
    return pages.page("unsubscribe", token=token)


async def unsubscribe(request: web.Request) -> web.Response:
    """Unsubscribe at once: the page's button, or a mail client's one-click POST."""
    pages, services = request.app[PAGES_KEY], request.app[SERVICES_KEY]
    if not await services.email.unsubscribe(request.match_info["token"]):
        return _not_found(pages)
    return pages.message(_("Unsubscribed"), _("No more appeals will be sent to this address."))


async def forget_page(request: web.Request) -> web.Response:
    """Show one button to delete the address and everything about it; change nothing."""
    pages, services = request.app[PAGES_KEY], request.app[SERVICES_KEY]
    token = request.match_info["token"]
    if not await services.email.knows(token, any_state=True):
        return _not_found(pages)
    return pages.page("forget", token=token)


async def forget(request: web.Request) -> web.Response:
    """Delete the address and everything about it."""
    pages, services = request.app[PAGES_KEY], request.app[SERVICES_KEY]
    if not await services.email.forget(request.match_info["token"]):
        return _not_found(pages)
    return pages.message(
        _("Forgotten"),
        _("This address and everything about it have been deleted. Nothing is kept."),
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
    form = await request.post()
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
    token = r"{token:[A-Za-z0-9_-]{16,64}}"
    router.add_get("/", signup_page)
    router.add_post("/subscribe", subscribe)
    router.add_get(f"/email/forget/{token}", forget_page)
    router.add_post(f"/email/forget/{token}", forget)
    router.add_get(f"/email/confirm/{token}", confirm_page)
    router.add_post(f"/email/confirm/{token}", confirm)
    router.add_get(f"/email/unsubscribe/{token}", unsubscribe_page)
    router.add_post(f"/email/unsubscribe/{token}", unsubscribe)
    router.add_get(f"/email/settings/{token}", settings_page)
    router.add_post(f"/email/settings/{token}", change_settings)
