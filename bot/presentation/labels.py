"""Words and formats for people: dates, countries, case statuses, phone numbers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import phonenumbers

from bot.extract.places import country_display_name
from storage.enums import AppealKind, CaseStatus, DatePrecision
from storage.standing import Age, Standing

CASE_STATUS_LABELS = {
    CaseStatus.OPEN: "open",
    CaseStatus.RELEASED: "released",
    CaseStatus.CHARGES_DROPPED: "charges dropped",
    CaseStatus.ACQUITTED: "acquitted",
    CaseStatus.FINED: "fined",
    CaseStatus.SENTENCED: "sentenced",
    CaseStatus.CLOSED: "closed",
}
KIND_LABELS = {
    AppealKind.APPEAL: "appeal",
    AppealKind.UPDATE: "update",
    AppealKind.OUTCOME: "outcome",
}
_ALMATY_AREA = "727"


country_name = country_display_name


def format_date(value: date | None, precision: DatePrecision | str = DatePrecision.DAY) -> str:
    """Return a date as people write it: 2 May 2011, May 2011 or 2011."""
    if value is None:
        return "undated"
    if precision == DatePrecision.YEAR:
        return f"{value.year}"
    if precision == DatePrecision.MONTH:
        return value.strftime("%B %Y")
    return f"{value.day} {value.strftime('%B %Y')}"


STANDING_MARKS = {
    Standing.OPEN: "",
    Standing.PAST_DEADLINE: "⌛ past its deadline",
    Standing.ARCHIVED: "🗄 archived",
}
CHECK_NEWS = "The case may have moved on: check for news before writing."


def age_note(age: Age) -> str | None:
    """Say plainly, for an appeal that is not open, how old it is and what that means."""
    if age.standing is Standing.OPEN:
        return None
    if age.standing is Standing.PAST_DEADLINE and age.deadline is not None:
        return f"The deadline of this appeal was {format_date(age.deadline)}. {CHECK_NEWS}"
    when = format_date(age.issued_on, age.precision)
    if age.resolved:
        return f"This appeal is from {when}, and the case has had an outcome since."
    return f"This appeal is from {when}. {CHECK_NEWS}"


def countdown(age: Age) -> str | None:
    """Return "3 days left" for an open appeal with a deadline."""
    if age.days_left is None:
        return None
    if age.days_left == 0:
        return "last day today"
    return f"{age.days_left} day{'s' if age.days_left != 1 else ''} left"


def case_status_label(status: CaseStatus | str) -> str:
    """Return a case status in words."""
    return CASE_STATUS_LABELS.get(CaseStatus(status), str(status))


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


FILTERS: dict[str, Callable[..., str]] = {
    "phone": format_phone,
    "day": format_date,
    "case_status": case_status_label,
    "country": country_name,
}
