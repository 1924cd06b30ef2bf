"""Put a draft appeal together from free text; every field stays editable before publishing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Protocol

from pydantic import BaseModel, Field, field_validator

from bot.extract.clean import MAX_TEXT, clean_lines, has_words
from bot.extract.countries import most_named
from bot.extract.dates import dateline_date, events_and_deadline, find_dateline, reanchor
from bot.extract.demands import extract_demands, is_solidarity
from bot.extract.language import HOME_REGIONS, detect_language
from bot.extract.office import Office
from bot.extract.offices import read_offices
from bot.extract.people import ONE_OF, find_group, find_person, nominative
from bot.extract.places import country_display_name, find_country, find_place
from bot.extract.spans import label_of
from core.errors import ExtractionError
from storage.enums import DatePrecision, EventKind, TargetKind, Urgency
from templates.i18n import N_, _, ngettext

TITLE_LIMIT = 200
PROPOSED_TITLE_LIMIT = 80
_STORY = 200  # a line this long is the story, not its title
SUMMARY_LIMIT = 1_500
_URGENT = re.compile(r"\burgent", re.IGNORECASE)
_CONTACTS_START = re.compile(
    r"\b(please (send|protest|fax|write)|protests? (should|can|must) be|send (urgent )?protests"
    r"|we call for urgent protests|send messages|take action|write to)\b",
    re.IGNORECASE,
)
_NUMBERED = re.compile(r"^\s*\d{1,2}\s*[.):]\s+")


class Mention(Protocol):
    """A known case named in a text, by one of its names."""

    @property
    def case_id(self) -> int: ...

    @property
    def name(self) -> str: ...


class KnownCases(Protocol):
    """The cases already on record, by every name they are known by."""

    def mentioned_in(self, text: str) -> Sequence[Mention]:
        """Return the known cases a text names, in the order they are first named."""


_EVENT_KINDS = (
    (re.compile(r"\btrial\b", re.I), EventKind.TRIAL),
    (re.compile(r"\b(sentenc|verdict|convict|acquit)", re.I), EventKind.VERDICT),
    (re.compile(r"\b(hearing|court|appeal hearing)\b", re.I), EventKind.HEARING),
    (re.compile(r"\b(released|freed|let go)\b", re.I), EventKind.RELEASE),
    (re.compile(r"\b(arrest|detain|detention|taken into custody)", re.I), EventKind.ARREST),
    (
        re.compile(r"\b(attack|beat|assault|kick|wounded|fired on|opened fire)", re.I),
        EventKind.ATTACK,
    ),
    (re.compile(r"\b(charged|charges?|accused|indicted)\b", re.I), EventKind.CHARGE),
    (re.compile(r"\b(protest|picket|rally|demonstration|march)\b", re.I), EventKind.PROTEST),
)


def event_kind(label: str) -> EventKind:
    """Tell what an event is from its sentence: a trial, an arrest, an attack."""
    for pattern, kind in _EVENT_KINDS:
        if pattern.search(label):
            return kind
    return EventKind.OTHER


class TargetData(BaseModel):
    name: str
    kind: TargetKind = TargetKind.PROTEST
    emails: list[str] = []
    phones: list[str] = []
    faxes: list[str] = []
    postal_address: str | None = None
    note: str | None = None
    salutation: str | None = None


class EventData(BaseModel):
    on: date
    label: str
    kind: EventKind = EventKind.OTHER
    year_known: bool = True  # False: the text gave no year and no date to read one from


class DemandData(BaseModel):
    """A demand, who can act on it, or a solidarity point (for nobody in office)."""

    text: str
    solidarity: bool = False
    to: list[int] = Field(default=[], description="targets by their number (1 = first)")


class CaseRef(BaseModel):
    """A case the appeal is about: an existing one (id) or a new one (name only)."""

    id: int | None = None
    name: str


class DraftData(BaseModel):
    title: str
    title_proposed: bool = Field(default=False, description="the text opens without a title")
    summary: str
    urgency: Urgency = Urgency.NORMAL
    language: str = "en"
    country: str | None = None
    place: str | None = None
    cases: list[CaseRef] = []
    issued_on: date | None = Field(default=None, description="the appeal's own date")
    issued_precision: DatePrecision = DatePrecision.DAY
    events: list[EventData] = []
    deadline: date | None = None
    deadline_year_known: bool = True
    demands: list[DemandData] = []
    targets: list[TargetData] = []
    unplaced: list[str] = Field(default=[], description="contacts no office took")
    undated: list[str] = Field(default=[], description="dates the text gives without a year")
    source_url: str | None = None
    summary_pasted: bool = Field(default=False, description="the summary is the pasted text")
    letter_facts: str | None = None
    text: str = Field(default="", description="the cleaned source text")

    @field_validator("demands", mode="before")
    @classmethod
    def _plain_demands(cls, value: object) -> object:
        """Read drafts stored when demands were plain strings."""
        if isinstance(value, list):
            return [{"text": item} if isinstance(item, str) else item for item in value]
        return value

    @property
    def reachable_targets(self) -> list[TargetData]:
        """Return the targets with an email, number or address."""
        return [t for t in self.targets if t.emails or t.phones or t.faxes or t.postal_address]

    @property
    def year_unknown(self) -> bool:
        """Tell whether the appeal's year is still unknown (no dateline, no admin's word)."""
        return (
            self.issued_on is None
            or bool(self.undated)
            or not self.deadline_year_known
            or any(not event.year_known for event in self.events)
        )

    def date_it(self, day: date, precision: DatePrecision = DatePrecision.DAY) -> None:
        """Set the appeal's own date; dates read without a year take theirs from it."""
        self.issued_on, self.issued_precision = day, precision
        for event in self.events:
            if not event.year_known:
                event.on, event.year_known = reanchor(event.on, day), True
        if self.deadline is not None and not self.deadline_year_known:
            self.deadline, self.deadline_year_known = reanchor(self.deadline, day), True
        if self.undated:
            # Dates the text gave without a year are read again, against this date.
            events, deadline = events_and_deadline("\n".join(self.undated), today=day)
            known = {event.on for event in self.events}
            self.events += [
                EventData(on=found.on, label=found.label, kind=event_kind(found.label))
                for found in events
                if found.on not in known
            ]
            if deadline is not None and self.deadline is None:
                self.deadline = deadline.on
            self.undated = []
        self.events.sort(key=lambda event: event.on)

    def blockers(self) -> list[str]:
        """Say what must be settled before this draft can be published."""
        if self.year_unknown:
            return [
                _(
                    "The text gives no date of its own, so I do not know the year of its "
                    "dates. Tap “📅 It is from today” if it is new, or Edit a field → Date."
                )
            ]
        return []

    def warnings(self) -> list[str]:
        """Say what the admin should look at before publishing."""
        notes = self.blockers()
        if self.title_proposed:
            notes.append(
                _(
                    "The text opens with its story, not a title: the title is proposed. "
                    "Check it (Edit a field → Title)."
                )
            )
        if self.summary_pasted:
            notes.append(
                _(
                    "The summary is the pasted text. Rewrite it in your own words (Edit a "
                    "field → Summary), or confirm it when you publish."
                )
            )
        if not self.letter_facts and self.reachable_targets:
            notes.append(
                _(
                    "No facts for the letters yet: Edit a field → Letter facts (what happened, "
                    "in a sentence or two). Until then the letters only name the appeal."
                )
            )
        solidarity = sum(1 for demand in self.demands if demand.solidarity)
        if solidarity:
            notes.append(
                ngettext(
                    "%(num)d point read as solidarity, put to no official (Edit a field → "
                    "Demands to change).",
                    "%(num)d points read as solidarity, put to no official (Edit a field → "
                    "Demands to change).",
                    solidarity,
                )
                % {"num": solidarity}
            )
        if not self.reachable_targets:
            notes.append(
                _(
                    "No contacts found: nobody to write to. Tap “Edit a field” → Targets and "
                    "send them (for example: “Procurator General, Email: office@example.org, "
                    "Fax: +7 727 000 0000”)."
                )
            )
        if self.unplaced:
            notes.append(
                _("Not placed: %(contacts)s. Edit a field → Targets to give them to an office.")
                % {"contacts": ", ".join(self.unplaced)}
            )
        if any(case.id is None for case in self.cases):
            names = ", ".join(case.name for case in self.cases if case.id is None)
            notes.append(_("New case to be created: %(names)s.") % {"names": names})
        if self.undated:
            notes.append(
                _("Dates without a year, left out until the appeal's date is set: %(dates)s.")
                % {"dates": "; ".join(self.undated)}
            )
        if not self.events and self.deadline is None:
            notes.append(_("No dates found."))
        return notes


def _month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - timedelta(days=1)


# Lines at the head of an appeal that are its header, not its title: "UA 14/26 Index: …
# Date: …", "URGENT ACTION".
_HEADER_LINE = re.compile(
    r"^(?:(?:further information on )?ua\b.*\bindex\b.*|urgent action|срочная акция)$", re.I
)


_CHROME = re.compile(
    r"^\W*(menu|take action|urgent (action|appeal)s?|in|home|read more|skip to.*|tagged:.*"
    r"|arch/?ive.*|daily archives.*|share|print|downloads?)\W*$|cookie|^[\s|•>]*$",
    re.IGNORECASE,
)


def _heading(line: str) -> bool:
    """Tell whether a line reads as an appeal's title (not a date, menu or greeting)."""
    words = line.split()
    return (
        2 <= len(words) <= 24
        and len(line) <= 160
        and not _CHROME.search(line)
        and not _HEADER_LINE.match(line)
        and not line.endswith((",", ":", ";"))
        and not line.startswith(">")
        and dateline_date(line) is None
        and not re.match(r"^(dear|liebe|cari|chers?|beste|уважаем)\b", line, re.IGNORECASE)
        and "@" not in line
        and label_of(line) is None
    )


def _title(lines: list[str], *, skip: frozenset[str] = frozenset()) -> str | None:
    """Return the title the text opens with (None: it opens with its story)."""
    for at, line in enumerate(lines[:12]):
        if len(line) > _STORY:
            return None  # the story has begun: a heading below it heads a section
        wrapped = at + 1 < len(lines) and lines[at + 1][:1].islower()
        if line and line not in skip and _heading(line) and not wrapped:
            return _cut(line, TITLE_LIMIT)
    return None


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def _proposed_title(who: str | None, where: str | None, prose: list[str]) -> str:
    """Propose a short title for a text that opens with a lead paragraph: who and where,
    else the lead's first sentence, cut short."""
    if who:
        who = who[:1].upper() + who[1:]
        return f"{who} ({where})" if where and where not in who else who
    first = re.split(r"(?<=[.!?])\s", next((line for line in prose if line), ""), maxsplit=1)[0]
    return _cut(first, PROPOSED_TITLE_LIMIT)


def _recipients(targets: list[TargetData]) -> str | None:
    """Return the people letters go to by post (prisoners, when no one else is named)."""
    people = [
        t.name
        for t in targets
        if t.postal_address
        and not (t.emails or t.phones or t.faxes)
        and 2 <= len(t.name.split()) <= 3
        and all(word[:1].isupper() for word in t.name.split())
    ]
    joined = ", ".join(people)
    return joined if people and len(joined) <= 80 else None


def _one_of(person: str, text: str) -> bool:
    """Tell whether the text names the person as one of a group ("…, including X")."""
    at = text.find(person)
    return at > 0 and ONE_OF.search(text[:at]) is not None


def _office_lines(lines: list[str], targets: list[TargetData]) -> frozenset[str]:
    """Return the lines that belong to the offices to write to, not to the appeal's story."""
    held = " ".join(f"{t.name} {t.postal_address or ''}" for t in targets)
    return frozenset(
        line
        for line in lines
        if line
        and (
            line[:40] in held or (len(line) <= 120 and ("@" in line or label_of(line) is not None))
        )
    )


def _after_title(lines: list[str], title: str) -> list[str]:
    """Return the lines after the title (or after the first line when it is proposed)."""
    at = next((k for k, line in enumerate(lines) if line and title.startswith(line[:60])), 0)
    return lines[at + 1 :]


def _summary(lines: list[str]) -> str:
    kept: list[str] = []
    size = 0
    for line in lines:
        if not line:
            continue
        if _CONTACTS_START.search(line) or _NUMBERED.match(line):
            break
        kept.append(line)
        size += len(line)
        if size >= SUMMARY_LIMIT:
            break
    summary = "\n\n".join(kept)
    if len(summary) > SUMMARY_LIMIT + 200:
        summary = summary[:SUMMARY_LIMIT].rsplit(" ", 1)[0] + "…"
    return summary


def target_data(office: Office) -> TargetData:
    """Return an office as a draft keeps it."""
    return TargetData(
        name=office.name,
        kind=office.kind,
        emails=office.emails,
        phones=office.phones,
        faxes=office.faxes,
        postal_address=", ".join(office.address)[:300] or None,
        note=" ".join(office.notes) or None,
        salutation=office.salutation,
    )


def extract_draft(
    text: str, *, today: date, index: KnownCases, source_url: str | None = None
) -> DraftData:
    """Read a draft appeal from pasted or fetched text."""
    if len(text) > MAX_TEXT:
        raise ExtractionError(
            N_(
                "That text is %(length)s characters long; an appeal can be at most "
                "%(limit)s. Please send just the appeal itself."
            ),
            length=f"{len(text):,}",
            limit=f"{MAX_TEXT:,}",
        )
    lines, dateline = clean_lines(text)
    body = "\n".join(lines)
    # An appeal dates itself at its head ("Aktau, 3 March 2026. …"), or a copied web page
    # carries its date ("March 2010"); dates without a year are read against it. Without
    # one, today says nothing of the year: the draft asks the admin.
    head = find_dateline(lines)
    page_date = (
        (head.on, head.precision)
        if head is not None
        else (dateline_date(dateline) if dateline else None)
    )
    dated_lines = list(lines)
    if head is not None:  # the dateline names the appeal's day, not an event
        dated_lines[head.line] = dated_lines[head.line][head.end :]
    anchored = page_date is not None
    if page_date is not None:
        day, precision = page_date
        # A dated text was written on its date; "March 2010" at the latest by its end.
        today = min(today, _month_end(day)) if precision is DatePrecision.MONTH else day
    if not lines or not has_words(body):
        raise ExtractionError(
            N_(
                "I could not find an appeal in that text. Paste the appeal itself, forward it, "
                "or send a link to its page."
            )
        )
    paragraphs = [line for line in lines[1:] if len(line) > 60]
    prose = [line for line in lines if len(line) > 60] or [line for line in lines if line]
    language = detect_language(lines)
    country = most_named(
        "\n".join(prose), weights=[(_title(lines) or "", 3), ("\n".join(prose[:2]), 1)]
    ) or find_country(body)
    # Numbers are read in the case's country, then where the text's language is spoken.
    regions = [code for code in (country,) if code] + list(HOME_REGIONS.get(language, ()))
    reading = read_offices(lines, fallback_regions=regions)
    targets = [target_data(office) for office in reading.offices]
    events, deadline = events_and_deadline("\n".join(dated_lines), today=today, anchored=anchored)
    # A date without a year, in a text that gives none to read it from, stays out: a guessed
    # year (today's) would be printed as if the text said it.
    # (``year_given`` is also true of a date read against the text's own date.)
    undated = [event.label for event in events if not event.year_given]
    events = [event for event in events if event.year_given]
    if deadline is not None and not deadline.year_given:
        undated.append(deadline.label)
        deadline = None
    place = find_place(body) or (head.place if head else None)
    mentioned = index.mentioned_in(body)
    cases = [CaseRef(id=hit.case_id, name=hit.name) for hit in mentioned]
    office_lines = _office_lines(lines, targets)
    title = _title(lines, skip=office_lines)
    proposed = title is None
    if not cases:
        # The person the appeal is about, else the group, else (a campaign) its title.
        officials = frozenset(
            word[:5].lower()
            for target in targets
            if target.emails or target.phones or target.faxes
            for word in target.name.split()
            if len(word) > 3
        )
        body_lines = [line for line in dated_lines if line not in office_lines and line != title]
        person = find_person(title or "", "\n".join(body_lines), not_these=officials)
        opening = "\n".join(body_lines)[:600]
        group = find_group(title or "", opening)
        if person and group and not _one_of(person, opening):
            group = None  # the person is the case; the group only their circle
        who = group or (nominative(person) if person else None) or _recipients(targets)
        if title is None:
            title = _proposed_title(who, country_display_name(country), prose or lines)
        cases = [CaseRef(id=None, name=(who or title)[:120])]
    elif title is None:
        title = _proposed_title(cases[0].name, country_display_name(country), prose or lines)
    return DraftData(
        title=title,
        title_proposed=proposed,
        summary=_summary(_after_title(lines, title)) or title,
        summary_pasted=True,
        urgency=Urgency.URGENT if _URGENT.search(body) else Urgency.NORMAL,
        language=language,
        country=country,
        place=place,
        cases=cases,
        issued_on=page_date[0] if page_date else None,
        issued_precision=page_date[1] if page_date else DatePrecision.MONTH,
        events=[
            EventData(
                on=event.on,
                label=event.label,
                kind=event_kind(event.label),
                year_known=event.year_given,
            )
            for event in events
        ],
        deadline=deadline.on if deadline else None,
        deadline_year_known=deadline.year_given if deadline else True,
        demands=[
            DemandData(text=demand, solidarity=is_solidarity(demand))
            for demand in extract_demands(lines, paragraphs)
        ],
        targets=targets,
        unplaced=reading.unplaced,
        undated=undated,
        source_url=source_url,
        text=body,
    )
