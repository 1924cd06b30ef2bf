"""Dates in appeals: "On 7 March", "Today, May 2nd", "on the 23 January", "2 мая 2011"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from storage.enums import DatePrecision

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    "января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6, "июля": 7,
    "августа": 8, "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12,
}  # fmt: skip


def _months_of(languages: tuple[str, ...]) -> dict[str, int]:
    """Return month names in the languages appeals are written in (Babel's CLDR), as written
    in dates ("24 luglio", "30 de agosto", "21 listopada")."""
    from babel import Locale

    names: dict[str, int] = {}
    for language in languages:
        months = Locale.parse(language).months
        for context in ("format", "stand-alone"):
            for number, name in months[context]["wide"].items():
                key = name.lower().rstrip(".")
                if len(key) >= 3 and not key.isdigit():
                    names.setdefault(key, number)
    return names


for _name, _number in _months_of(
    ("it", "fr", "es", "pt", "de", "pl", "tr", "nl", "uk", "be")
).items():
    MONTHS.setdefault(_name, _number)
MONTH_PATTERN = "|".join(sorted(MONTHS, key=len, reverse=True))
_MONTH = MONTH_PATTERN
_DAY_MONTH = re.compile(
    rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th|er|º)?\.?\s*(?:of\s+|de\s+)?(?P<month>{_MONTH})\.?"
    rf"(?:,?\s+(?:de\s+)?(?P<year>(?:19|20)\d\d))?\b",
    re.IGNORECASE,
)
_MONTH_DAY = re.compile(
    rf"\b(?P<month>{_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year>(?:19|20)\d\d))?\b",
    re.IGNORECASE,
)
_NUMERIC = re.compile(r"\b(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>(?:19|20)\d\d)\b")
_ISO = re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>\d\d)-(?P<day>\d\d)\b")
_MAY_DAY = re.compile(r"\bMay Day\b")
_YEAR_AFTER = re.compile(r",?\s+((?:19|20)\d\d)\b")
_DEADLINE = re.compile(
    r"(\b(by|before|until|no later than|expires on|expiring on|act by|avant le|jusqu'au"
    r"|antes del?|hasta el|bis zum|bis|entro il|entro|até|do dnia|не позднее|до)"
    r":?\s+(the\s+)?|\bdeadline\b[^.]{0,15}|\bfrist\b[^.]{0,15})$",
    re.IGNORECASE,
)
_URL = re.compile(r"https?://\S+|www\.\S+")
LABEL_LIMIT = 140


@dataclass(frozen=True, slots=True)
class Found:
    on: date
    label: str
    deadline: bool
    position: int
    end: int = 0
    year_given: bool = True  # False: the year was chosen against the day given as today


AHEAD = timedelta(days=60)


def _closest_year(month: int, day: int, today: date) -> date | None:
    """Pick the year: the latest date no more than two months after ``today``.

    Appeals speak of what just happened and of what comes soon (a trial next week).
    """
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    fitting = [candidate for candidate in candidates if candidate <= today + AHEAD]
    return max(fitting) if fitting else None


def _sentence(text: str, start: int, end: int) -> str:
    left = max(text.rfind(". ", 0, start), text.rfind("\n", 0, start), text.rfind("! ", 0, start))
    right_candidates = [i for i in (text.find(". ", end), text.find("\n", end)) if i != -1]
    right = min(right_candidates) if right_candidates else len(text)
    sentence = text[left + 1 : right].strip(" .\n")
    sentence = re.sub(r"^(on|today,?|on the)\s+", "", sentence, flags=re.IGNORECASE)
    if len(sentence) > LABEL_LIMIT:
        sentence = sentence[:LABEL_LIMIT].rsplit(" ", 1)[0] + "…"
    return sentence[:1].upper() + sentence[1:] if sentence else ""


def find_dates(text: str, *, today: date) -> list[Found]:
    """Return every date the text names, each with the sentence it is in.

    A day and month without a year take the year that puts them closest to ``today`` (the day
    the appeal is posted): "16 December" in a January appeal is last December, "2 May" in an
    April appeal is this May.
    """
    # Dates inside links (".../news/2012-01-24-2156") are not events.
    text = _URL.sub(lambda match: " " * len(match.group(0)), text)
    found: list[Found] = []
    spans: list[tuple[int, int]] = []
    for pattern in (_ISO, _NUMERIC, _DAY_MONTH, _MONTH_DAY):
        for match in pattern.finditer(text):
            if any(start <= match.start() < end for start, end in spans):
                continue
            month_text = match.group("month")
            month = int(month_text) if month_text.isdigit() else MONTHS[month_text.lower()]
            day = int(match.group("day"))
            year = match.group("year")
            if not 1 <= month <= 12 or not 1 <= day <= 31:
                continue
            try:
                on = date(int(year), month, day) if year else _closest_year(month, day, today)
            except ValueError:
                continue
            if on is None:
                continue
            spans.append((match.start(), match.end()))
            before = text[max(0, match.start() - 40) : match.start()]
            found.append(
                Found(
                    on=on,
                    label=_sentence(text, match.start(), match.end()),
                    deadline=bool(_DEADLINE.search(before)),
                    position=match.start(),
                    end=match.end(),
                    year_given=bool(year),
                )
            )
    for match in _MAY_DAY.finditer(text):
        year_match = _YEAR_AFTER.match(text, match.end())
        on = date(int(year_match.group(1)), 5, 1) if year_match else _closest_year(5, 1, today)
        if on is not None:
            label = _sentence(text, match.start(), match.end())
            found.append(
                Found(
                    on=on,
                    label=label,
                    deadline=False,
                    position=match.start(),
                    end=match.end(),
                    year_given=year_match is not None,
                )
            )
    found.sort(key=lambda item: item.position)
    return found


@dataclass(frozen=True, slots=True)
class Dated:
    """An event read from a text: its day, its sentence, whether its year was written."""

    on: date
    label: str
    year_given: bool


def events_and_deadline(
    text: str, *, today: date, anchored: bool = True
) -> tuple[list[Dated], Dated | None]:
    """Return dated events (one per day, first mention wins) and the action deadline.

    ``anchored``: ``today`` is the day the text was written (its dateline, or an admin's
    word); otherwise a date without a year keeps a provisional year and says so.
    """
    events: dict[date, Dated] = {}
    deadline: Dated | None = None
    for item in find_dates(text, today=today):
        if anchored and not within(item.on, today):
            continue
        found = Dated(item.on, item.label, item.year_given or anchored)
        if item.deadline:
            deadline = deadline or found
        elif item.on not in events:
            events[item.on] = found
    return sorted(events.values(), key=lambda event: event.on), deadline


def reanchor(on: date, today: date) -> date:
    """Give a day and month read without a year the year that fits an appeal of ``today``."""
    return _closest_year(on.month, on.day, today) or on


def month_year(text: str) -> date | None:
    """Read a dateline such as "March 2010" (the first of that month)."""
    found = dateline_date(text)
    return found[0] if found and found[1] is DatePrecision.MONTH else None


# A dateline at the head of a paragraph: "Aktau, 3 March 2026. Marat …", "3 March 2026 — …",
# «Шымкент, 15 сентября 2026 г. Журналистка …», "2026-03-03: …".
_FULL_DATE = (
    rf"(?:[0-3]?\d\.?\s*(?:de\s+)?(?:{_MONTH})\s+(?:de\s+)?(?:19|20)\d\d(?:\s*г(?:ода|\.)?)?"
    rf"|(?:{_MONTH})\s+[0-3]?\d,\s+(?:19|20)\d\d"
    r"|(?:19|20)\d\d-[01]\d-[0-3]\d)"
)
_HEAD_DATELINE = re.compile(
    rf"^(?:(?P<place>[A-ZА-ЯЁ][\w’'-]+(?:[ -][A-ZА-ЯЁ][\w’'-]+){{0,2}}),\s+)?"
    rf"(?P<date>{_FULL_DATE})\s*(?:[.—–:]|-\s|$)",
    re.IGNORECASE,
)
# A header's date field: "UA 14/26 Index: EUR 57/0101/2026 Kazakhstan Date: 6 March 2026".
_DATE_FIELD = re.compile(rf"\b(?:date|дата)\s*:\s*(?P<date>{_FULL_DATE})", re.IGNORECASE)
HEAD_LINES = 10  # a dateline is looked for in the first lines only


@dataclass(frozen=True, slots=True)
class Dateline:
    """The date an appeal gives itself, where it says so, and the place before it."""

    on: date
    precision: DatePrecision
    line: int  # the index of the line it is on
    end: int  # where it ends on that line (the rest is the appeal's first words)
    place: str | None = None


def find_dateline(lines: list[str]) -> Dateline | None:
    """Find the appeal's own date at its head: a line that is only a date, or a paragraph
    that begins with one ("Aktau, 3 March 2026. …")."""
    seen = 0
    for index, line in enumerate(lines):
        if not line:
            continue
        seen += 1
        if seen > HEAD_LINES:
            break
        whole = dateline_date(line)
        if whole is not None:
            return Dateline(whole[0], whole[1], index, len(line))
        field = _DATE_FIELD.search(line)
        if field is not None:
            found = dateline_date(field.group("date"))
            if found is not None:
                return Dateline(found[0], found[1], index, field.end())
        match = _HEAD_DATELINE.match(line)
        if match is None:
            continue
        found = dateline_date(match.group("date"))
        if found is not None:
            place = match.group("place")
            return Dateline(found[0], found[1], index, match.end(), place)
    return None


_TIME = re.compile(r"\s+(?:at|à|alle|um|a las)?\s*\d{1,2}[:.]\d\d\s*(?:[ap]\.?m\.?)?\s*$", re.I)
_SHORT_NUMERIC = re.compile(r"\s*([0-3]?\d)\.([01]?\d)\.(\d\d)\s*")


def dateline_date(text: str) -> tuple[date, DatePrecision] | None:
    """Read a dateline, also with a weekday, a label or a time around its date ("Daily
    archives: September 1, 2010", "mercoledì 24 luglio 2013", "14.1.10")."""
    found = _bare_dateline(text)
    if found is not None or len(text) > 70:
        return found
    text = _TIME.sub("", text.strip())
    short = _SHORT_NUMERIC.fullmatch(text)
    if short is not None:
        try:
            day = date(2000 + int(short.group(3)), int(short.group(2)), int(short.group(1)))
        except ValueError:
            return None
        return day, DatePrecision.DAY
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        for match in pattern.finditer(text):
            if not match.group("year"):
                continue
            left = (text[: match.start()] + " " + text[match.end() :]).strip(" ,.:;-–")
            if len(re.findall(r"[^\W\d_]+", left)) > 3 or _DEADLINE.search(text[: match.start()]):
                continue  # a sentence with a date in it ("Please act before …"), not a dateline
            try:
                day = date(
                    int(match.group("year")),
                    MONTHS[match.group("month").lower()],
                    int(match.group("day")),
                )
            except ValueError:
                continue
            return day, DatePrecision.DAY
    return None


def _bare_dateline(text: str) -> tuple[date, DatePrecision] | None:
    """Read a dateline: "March 2010" (that month), "20 May 2011", "May 20, 2011",
    «15 сентября 2026 г.» or "2026-03-03" (that day)."""
    text = re.sub(r"\s*г(?:ода|\.)?\s*$", "", text.strip(" .—–:"))
    iso = re.fullmatch(r"\s*((?:19|20)\d\d)-([01]\d)-([0-3]\d)\s*", text)
    if iso is not None:
        try:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3))), DatePrecision.DAY
        except ValueError:
            return None
    match = re.fullmatch(rf"\s*({_MONTH})\s+((?:19|20)\d\d)\s*", text, re.IGNORECASE)
    if match is not None:
        return date(int(match.group(2)), MONTHS[match.group(1).lower()], 1), DatePrecision.MONTH
    match = re.fullmatch(
        rf"\s*(?:([0-3]?\d)\s+({_MONTH})|({_MONTH})\s+([0-3]?\d),)\s+((?:19|20)\d\d)\s*",
        text,
        re.IGNORECASE,
    )
    if match is None:
        return None
    day = int(match.group(1) or match.group(4))
    month = MONTHS[(match.group(2) or match.group(3)).lower()]
    try:
        return date(int(match.group(5)), month, day), DatePrecision.DAY
    except ValueError:
        return None


def within(on: date, today: date, *, days: int = 400) -> bool:
    """Tell whether a date is plausibly about this appeal (not a historical reference)."""
    return abs(on - today) <= timedelta(days=days)
