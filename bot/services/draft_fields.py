"""The fields of a draft an admin can change: one table, each field described once.

For every field: the button's label, the hint asking for a new value, how the current value
is shown for editing, and how a new value is read, checked and written into the draft.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date

from bot.extract.dates import find_dates
from bot.extract.draft import CaseRef, DraftData, EventData, TargetData
from bot.extract.targets import extract_targets
from core.errors import BadInputError
from storage.enums import TargetKind

_NONE = {"none", "no", "-", "—", "nothing", "нет"}
_LIST_MARK = re.compile(r"^\s*(\d{1,2}[.):]|[-•*])\s*")


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
        raise BadInputError(f"I could not read a date in “{value[:60]}”. Try “2 May 2026”.")
    return found[0].on


def _events(value: str, today: date) -> list[EventData]:
    events = []
    for line in _lines(value):
        found = find_dates(line, today=today)
        if not found:
            raise BadInputError(f"I could not read a date in “{line[:60]}”.")
        first = found[0]
        label = (line[: first.position] + line[first.end :]).strip(" :-–,.")
        events.append(EventData(on=first.on, label=(label or "Event")[:300]))
    return sorted(events, key=lambda event: event.on)


async def _title(data: DraftData, value: str, _ctx: EditContext) -> None:
    data.title = value[:200]


async def _summary(data: DraftData, value: str, _ctx: EditContext) -> None:
    data.summary = value[:10_000]


async def _place(data: DraftData, value: str, _ctx: EditContext) -> None:
    data.place = None if _cleared(value) else value[:200]


async def _source(data: DraftData, value: str, _ctx: EditContext) -> None:
    data.source_url = None if _cleared(value) else value[:500]


async def _deadline(data: DraftData, value: str, ctx: EditContext) -> None:
    data.deadline = None if _cleared(value) else _one_date(value, ctx.today)


async def _dates(data: DraftData, value: str, ctx: EditContext) -> None:
    data.events = [] if _cleared(value) else _events(value, ctx.today)


async def _demands(data: DraftData, value: str, _ctx: EditContext) -> None:
    data.demands = [] if _cleared(value) else [_LIST_MARK.sub("", line) for line in _lines(value)]


async def _targets(data: DraftData, value: str, _ctx: EditContext) -> None:
    found = extract_targets(_lines(value), listing=True)
    if not found and not _cleared(value):
        raise BadInputError("I found no email, phone, fax or address in that. " + TARGETS_HINT)
    data.targets = [TargetData(**vars(target)) for target in found]


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


TARGETS_HINT = (
    "Send whom to write to, for example:\nProcurator General\nEmail: office@example.org"
    "\nFax: +7 727 000 0000\n\nCopies to: copies@example.org"
)

FIELDS: tuple[DraftField, ...] = (
    DraftField("title", "Title", "Send the new title.", lambda d: d.title, _title),
    DraftField(
        "summary",
        "Summary",
        "Send the new summary (what happened, in a few paragraphs).",
        lambda d: d.summary,
        _summary,
    ),
    DraftField(
        "cases",
        "Cases",
        "Send the cases, one per line or separated by commas. Known names are matched; "
        "new names become new cases.",
        lambda d: "\n".join(case.name for case in d.cases),
        _cases,
    ),
    DraftField("place", "Place", "Send the town (or “none”).", lambda d: d.place or "", _place),
    DraftField(
        "dates",
        "Dates",
        "Send the dates, one per line, for example “2 May 2011: trial of Dmitry Tikhonov”.",
        lambda d: "\n".join(f"{_day(event.on)}: {event.label}" for event in d.events),
        _dates,
    ),
    DraftField(
        "deadline",
        "Deadline",
        "Send the date to act by (or “none”).",
        lambda d: _day(d.deadline) if d.deadline else "",
        _deadline,
    ),
    DraftField(
        "demands",
        "Demands",
        "Send the demands, one per line.",
        lambda d: "\n".join(d.demands),
        _demands,
    ),
    DraftField("targets", "Targets", TARGETS_HINT, _show_targets, _targets),
    DraftField(
        "source",
        "Source link",
        "Send the link to the original appeal (or “none”).",
        lambda d: d.source_url or "",
        _source,
    ),
)
BY_NAME = {field.name: field for field in FIELDS}
