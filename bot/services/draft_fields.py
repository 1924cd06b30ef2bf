"""The fields of a draft an admin can change: one table, each field described once.

For every field: the button's label, the hint asking for a new value, how the current value
is shown for editing, and how a new value is read, checked and written into the draft.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date

from bot.extract.dates import find_dates, month_year
from bot.extract.draft import (
    CaseRef,
    DemandData,
    DraftData,
    EventData,
    event_kind,
    target_data,
)
from bot.extract.offices import read_offices
from core.errors import BadInputError
from storage.enums import DatePrecision, TargetKind
from templates.i18n import N_, _

_NONE = {"none", "no", "-", "—", "nothing", "нет"}
_TODAY = {"today", "now", "сегодня"}
_LIST_MARK = re.compile(r"^\s*(\d{1,2}[.):]|[-•*])\s*")
_SOLIDARITY_MARK = re.compile(r"^\s*(solidarity|support|✊)\s*:?\s*", re.IGNORECASE)
_ADDRESSEES = re.compile(r"\s*\(\s*to\s*:?\s*([0-9][0-9 ,]*)\)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class EditContext:
    """What writing a field may need: today's date, and a way to find cases by name."""

    today: date
    find_cases: Callable[[Sequence[str]], Awaitable[list[CaseRef]]]


Writer = Callable[[DraftData, str, EditContext], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class DraftField:
    name: str
    label: str
    hint: str
    show: Callable[[DraftData], str]
    write: Writer


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.replace("\r", "").split("\n") if line.strip()]


def _cleared(value: str) -> bool:
    return value.strip().lower() in _NONE


def _one_date(value: str, today: date) -> date:
    found = find_dates(value, today=today)
    if not found:
        raise BadInputError(
            N_("I could not read a date in “%(text)s”. Try “2 May 2026”."), text=value[:60]
        )
    return found[0].on


def _events(value: str, today: date) -> list[EventData]:
    events = []
    for line in _lines(value):
        found = find_dates(line, today=today)
        if not found:
            raise BadInputError(N_("I could not read a date in “%(text)s”."), text=line[:60])
        first = found[0]
        label = (line[: first.position] + line[first.end :]).strip(" :-–,.") or "Event"
        events.append(EventData(on=first.on, label=label[:300], kind=event_kind(label)))
    return sorted(events, key=lambda event: event.on)


def _demand(line: str, targets: int) -> DemandData:
    """Read "text (to 1, 3)" or "solidarity: text"."""
    text = _LIST_MARK.sub("", line)
    if mark := _SOLIDARITY_MARK.match(text):
        return DemandData(text=text[mark.end() :].strip(), solidarity=True)
    to: list[int] = []
    if match := _ADDRESSEES.search(text):
        to = sorted({int(n) for n in re.findall(r"[0-9]+", match.group(1))})
        wrong = [n for n in to if not 1 <= n <= targets]
        if wrong:
            raise BadInputError(
                N_(
                    "There is no target %(number)s: the draft names %(targets)s. "
                    "Numbers are those under “Whom to write to”."
                ),
                number=wrong[0],
                targets=targets,
            )
        text = text[: match.start()].strip()
    return DemandData(text=text, to=to)


def _show_demand(demand: DemandData) -> str:
    if demand.solidarity:
        return f"Solidarity: {demand.text}"
    if demand.to:
        return f"{demand.text} (to {', '.join(str(n) for n in demand.to)})"
    return demand.text


async def _title(data: DraftData, value: str, _ctx: EditContext) -> None:
    data.title = value[:200]


async def _summary(data: DraftData, value: str, _ctx: EditContext) -> None:
    data.summary = value[:10_000]
    data.summary_pasted = False


async def _letter_facts(data: DraftData, value: str, _ctx: EditContext) -> None:
    data.letter_facts = None if _cleared(value) else value[:2_000]


async def _date(data: DraftData, value: str, ctx: EditContext) -> None:
    if value.strip().lower() in _TODAY:
        data.date_it(ctx.today)
        return
    if month := month_year(value):
        data.date_it(month, DatePrecision.MONTH)
        return
    found = find_dates(value, today=ctx.today)
    if not found or not found[0].year_given:
        raise BadInputError(
            N_(
                "I could not read a date with its year in “%(text)s”. "
                "Try “2 May 2011”, “May 2011” or “today”."
            ),
            text=value[:60],
        )
    data.date_it(found[0].on)


async def _place(data: DraftData, value: str, _ctx: EditContext) -> None:
    data.place = None if _cleared(value) else value[:200]


async def _source(data: DraftData, value: str, _ctx: EditContext) -> None:
    data.source_url = None if _cleared(value) else value[:500]


async def _deadline(data: DraftData, value: str, ctx: EditContext) -> None:
    data.deadline = None if _cleared(value) else _one_date(value, ctx.today)


async def _dates(data: DraftData, value: str, ctx: EditContext) -> None:
    data.events = [] if _cleared(value) else _events(value, ctx.today)


async def _demands(data: DraftData, value: str, _ctx: EditContext) -> None:
    count = len(data.targets)
    data.demands = [] if _cleared(value) else [_demand(line, count) for line in _lines(value)]


async def _targets(data: DraftData, value: str, _ctx: EditContext) -> None:
    regions = [data.country] if data.country else []
    found = read_offices(_lines(value), fallback_regions=regions).offices
    if not found and not _cleared(value):
        raise BadInputError(
            N_("I found no email, phone, fax or address in that. %(hint)s"), hint=_(TARGETS_HINT)
        )
    data.targets = [target_data(office) for office in found]


async def _cases(data: DraftData, value: str, ctx: EditContext) -> None:
    names = [name.strip() for name in re.split(r"[,\n]", value) if name.strip()]
    data.cases = await ctx.find_cases(names)


def _show_targets(data: DraftData) -> str:
    blocks = []
    for target in data.targets:
        lines = [("Copies to: " if target.kind is TargetKind.COPY_TO else "") + target.name]
        lines += [f"Email: {email}" for email in target.emails]
        lines += [f"Fax: {fax}" for fax in target.faxes]
        lines += [f"Tel: {phone}" for phone in target.phones]
        if target.postal_address:
            lines.append(target.postal_address)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


TARGETS_HINT = N_(
    "Send whom to write to, for example:\nProcurator General\nEmail: office@example.org"
    "\nFax: +7 727 000 0000\n\nCopies to: copies@example.org"
)

FIELDS: tuple[DraftField, ...] = (
    DraftField("title", N_("Title"), N_("Send the new title."), lambda d: d.title, _title),
    DraftField(
        "date",
        N_("Date"),
        N_(
            "Send the appeal's own date: “2 May 2011”, “May 2011”, or “today”. Dates in the text "
            "without a year take theirs from it."
        ),
        lambda d: _day(d.issued_on) if d.issued_on else "",
        _date,
    ),
    DraftField(
        "summary",
        N_("Summary"),
        N_("Send the new summary (what happened, in a few paragraphs)."),
        lambda d: d.summary,
        _summary,
    ),
    DraftField(
        "letter_facts",
        N_("Letter facts"),
        N_(
            "Send the facts for the letters, in a sentence or two: who, what happened, when and "
            "where. Each office's letter opens with them (or “none”)."
        ),
        lambda d: d.letter_facts or "",
        _letter_facts,
    ),
    DraftField(
        "cases",
        N_("Cases"),
        N_(
            "Send the cases, one per line or separated by commas. Known names are matched; "
            "new names become new cases."
        ),
        lambda d: "\n".join(case.name for case in d.cases),
        _cases,
    ),
    DraftField(
        "place", N_("Place"), N_("Send the town (or “none”)."), lambda d: d.place or "", _place
    ),
    DraftField(
        "dates",
        N_("Dates"),
        N_("Send the dates, one per line, for example “2 May 2011: trial of Dmitry Tikhonov”."),
        lambda d: "\n".join(f"{_day(event.on)}: {event.label}" for event in d.events),
        _dates,
    ),
    DraftField(
        "deadline",
        N_("Deadline"),
        N_("Send the date to act by (or “none”)."),
        lambda d: _day(d.deadline) if d.deadline else "",
        _deadline,
    ),
    DraftField(
        "demands",
        N_("Demands"),
        N_(
            "Send the demands, one per line. Add “(to 1, 3)” for the offices (numbered as under "
            "“Whom to write to”) that can act on one; without it, every office gets it. Start a "
            "line with “Solidarity:” for a message of support that goes to no official."
        ),
        lambda d: "\n".join(_show_demand(demand) for demand in d.demands),
        _demands,
    ),
    DraftField("targets", N_("Targets"), TARGETS_HINT, _show_targets, _targets),
    DraftField(
        "source",
        N_("Source link"),
        N_("Send the link to the original appeal (or “none”)."),
        lambda d: d.source_url or "",
        _source,
    ),
)
BY_NAME = {field.name: field for field in FIELDS}
