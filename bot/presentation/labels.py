"""Words and formats for people: dates, countries, case statuses, phone numbers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date

import phonenumbers
from babel import Locale
from babel.dates import format_date as babel_date

from bot.extract.places import country_display_name
from bot.services.admins import AdminChange, RightsChange
from storage.enums import AppealKind, CaseStatus, DatePrecision
from storage.standing import Age, Standing
from templates.i18n import DEFAULT, N_, _, current, ngettext

CASE_STATUS_LABELS = {
    CaseStatus.OPEN: N_("open"),
    CaseStatus.RELEASED: N_("released"),
    CaseStatus.CHARGES_DROPPED: N_("charges dropped"),
    CaseStatus.ACQUITTED: N_("acquitted"),
    CaseStatus.FINED: N_("fined"),
    CaseStatus.SENTENCED: N_("sentenced"),
    CaseStatus.CLOSED: N_("closed"),
}
KIND_LABELS = {
    AppealKind.APPEAL: N_("appeal"),
    AppealKind.UPDATE: N_("update"),
    AppealKind.OUTCOME: N_("outcome"),
}
_ALMATY_AREA = "727"


LANGUAGE_NAMES = {"en": N_("English"), "ru": N_("Russian"), "kk": N_("Kazakh")}


def language_name(code: str) -> str:
    """Return a language's name in the reader's language."""
    name = LANGUAGE_NAMES.get(code)
    return _(name) if name else code


def original_note(language: str) -> str | None:
    """Say, when a text is shown in its original language, which (None: it is the reader's)."""
    if language == current():
        return None
    return _("Shown in the original language (%(language)s): there is no text in yours yet.") % {
        "language": language_name(language)
    }


def kind_label(kind: AppealKind | str) -> str:
    """Return what an appeal is (appeal, update, outcome) in words."""
    return _(KIND_LABELS[AppealKind(kind)])


# Parsed once per language: every date and country of a reply asks for it.
_locale = functools.cache(Locale.parse)


def country_name(code: str | None) -> str:
    """Return a country's name in the reader's language (the code itself if unknown)."""
    language = current()
    if language != DEFAULT and code:
        name = _locale(language).territories.get(code.upper())
        if name:
            return str(name)
    return country_display_name(code)


def format_date(value: date | None, precision: DatePrecision | str = DatePrecision.DAY) -> str:
    """Return a date as people write it: 2 May 2011, May 2011 or 2011."""
    if value is None:
        return _("undated")
    if precision == DatePrecision.YEAR:
        return f"{value.year}"
    language = current()
    if language != DEFAULT:
        pattern = "LLLL y" if precision == DatePrecision.MONTH else "d MMMM y"
        return str(babel_date(value, pattern, locale=_locale(language)))
    if precision == DatePrecision.MONTH:
        return value.strftime("%B %Y")
    return f"{value.day} {value.strftime('%B %Y')}"


def month_name(value: date) -> str:
    """Return a date's month as it is written after its day: "May" (in Russian "мая")."""
    language = current()
    if language != DEFAULT:
        return str(babel_date(value, "MMMM", locale=_locale(language)))
    return value.strftime("%B")


STANDING_MARKS = {
    Standing.OPEN: "",
    Standing.PAST_DEADLINE: N_("⌛ past its deadline"),
    Standing.ARCHIVED: N_("🗄 archived"),
}
CHECK_NEWS = N_("The case may have moved on: check for news before writing.")
# Amnesty's words when an urgent action closes: nothing is asked any more.
NO_FURTHER_ACTION = N_("No further action is requested. Thank you to everyone who wrote.")


def standing_mark(standing: Standing) -> str:
    """Return how an appeal stands, as a mark beside it ("" for an open one)."""
    mark = STANDING_MARKS[standing]
    return _(mark) if mark else ""


def age_note(age: Age) -> str | None:
    """Say plainly, for an appeal that is not open, how old it is and what that means."""
    if age.standing is Standing.OPEN:
        return None
    if age.standing is Standing.PAST_DEADLINE and age.deadline is not None:
        return (
            _("The deadline of this appeal was %(date)s.") % {"date": format_date(age.deadline)}
            + " "
            + _(CHECK_NEWS)
        )
    when = format_date(age.issued_on, age.precision)
    if age.resolved:
        said = _("This appeal is from %(date)s, and the case has had an outcome since.")
    else:
        said = _("This appeal is from %(date)s and is archived.")
    return said % {"date": when} + " " + _(NO_FURTHER_ACTION)


def countdown(age: Age) -> str | None:
    """Return "3 days left" for an open appeal with a deadline."""
    if age.days_left is None:
        return None
    if age.days_left == 0:
        return _("last day today")
    return ngettext("%(count)d day left", "%(count)d days left", age.days_left) % {
        "count": age.days_left
    }


def case_status_label(status: CaseStatus | str) -> str:
    """Return a case status in words."""
    label = CASE_STATUS_LABELS.get(CaseStatus(status))
    return _(label) if label else str(status)


def format_phone(e164: str) -> str:
    """Return a number in readable international form: +7 727 271 5802."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    national = str(number.national_number)
    # libphonenumber groups Almaty as 7272 71 58 02, an older plan; the city code is 727.
    if number.country_code == 7 and len(national) == 10 and national.startswith(_ALMATY_AREA):
        return f"+7 {national[:3]} {national[3:6]} {national[6:]}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def tel_uri(number: str) -> str:
    """Return a number as a tel: link (RFC 3966): "tel:+77272715802"."""
    return "tel:" + "".join(char for char in number if char.isdigit() or char == "+")


FILTERS: dict[str, Callable[..., str]] = {
    "phone": format_phone,
    "tel": tel_uri,
    "day": format_date,
    "month": month_name,
    "case_status": case_status_label,
    "country": country_name,
}


ADMIN_CHANGE_WORDS = {
    RightsChange.ADDED: N_("%(id)s is now an admin."),
    RightsChange.ALREADY: N_("%(id)s already was an admin."),
    RightsChange.REMOVED: N_("%(id)s is no longer an admin."),
    RightsChange.NOT_ADMIN: N_("%(id)s was not an admin."),
    RightsChange.CONFIGURED: N_(
        "%(id)s is an admin by configuration (APPEALBOT_ADMIN_IDS); change it there."
    ),
}


def admin_change_words(change: AdminChange) -> str:
    """Say what a change of admin rights did."""
    return _(ADMIN_CHANGE_WORDS[change.result]) % {"id": change.user_id}
