"""Appeals and cases as frozen values: what services hand to presentation, never ORM rows.

A record is made where the rows are loaded, so a page or message that reads more than its
loader loaded fails there (or in the type check), not later inside a template.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from storage.enums import (
    AppealKind,
    AppealStatus,
    CaseStatus,
    DatePrecision,
    EventKind,
    TargetKind,
    Urgency,
)
from storage.models import (
    Appeal,
    AppealCase,
    AppealEvent,
    AppealTarget,
    AppealText,
    Case,
    CaseName,
    CaseText,
    Demand,
    Target,
)


def _said(texts: Mapping[str, Any], language: str, field: str) -> str | None:
    said = texts.get(language, {}).get(field)
    return str(said) if said else None


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetRecord:
    """An office or person protests go to."""

    id: int = 0
    key: str
    name: str
    role: str | None = None
    organisation: str | None = None
    country: str | None = None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    faxes: tuple[str, ...] = ()
    postal_address: str | None = None
    salutation: str | None = None
    notes: str | None = None
    languages: tuple[str, ...] = ()
    texts: Mapping[str, Any] = field(default_factory=dict)

    def said_in(self, language: str, field: str) -> str | None:
        """Return one of its words in a language other than English (None: not written)."""
        return _said(self.texts, language, field)


@dataclass(frozen=True, slots=True, kw_only=True)
class AppealTargetRecord:
    """Whom an appeal asks to write to, and in what role."""

    target_id: int = 0
    kind: TargetKind
    position: int
    note: str | None = None
    notes: Mapping[str, Any] = field(default_factory=dict)
    target: TargetRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class DemandRecord:
    """One thing an appeal asks for."""

    id: int = 0
    position: int
    text: str
    solidarity: bool = False
    case_id: int | None = None
    addressees: tuple[TargetRecord, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class EventRecord:
    """A dated event an appeal names."""

    id: int = 0
    appeal_id: int = 0
    on_date: date
    precision: DatePrecision = DatePrecision.DAY
    kind: EventKind = EventKind.OTHER
    label: str
    labels: Mapping[str, Any] = field(default_factory=dict)
    case_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AppealCaseRecord:
    """An appeal's link to one of its cases."""

    appeal_id: int
    case_id: int
    letter_facts: str | None = None
    inferred: str | None = None
    texts: Mapping[str, Any] = field(default_factory=dict)

    def said_in(self, language: str, field: str) -> str | None:
        """Return one of the link's words in a language (None: not written in it)."""
        return _said(self.texts, language, field)


@dataclass(frozen=True, slots=True, kw_only=True)
class AppealTextRecord:
    """An appeal's words in one more language."""

    language: str
    title: str
    summary: str
    letter_facts: str | None = None
    inferred: str | None = None
    safety_note: str | None = None
    demands: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseTextRecord:
    """A case's words in one more language."""

    language: str
    name: str | None = None
    place: str | None = None
    summary: str | None = None
    outcome: str | None = None
    about: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseNameRecord:
    """One way a case's name is written."""

    name: str
    shown: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseRecord:
    """A person or campaign, with its names and its words in other languages."""

    id: int
    slug: str
    name: str
    country: str
    place: str | None = None
    status: CaseStatus = CaseStatus.OPEN
    summary: str | None = None
    outcome: str | None = None
    about: str | None = None
    names: tuple[CaseNameRecord, ...] = ()
    texts: tuple[CaseTextRecord, ...] = ()

    def text_in(self, language: str) -> CaseTextRecord | None:
        """Return the case's words in another language (None: not written)."""
        return next((text for text in self.texts if text.language == language), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class AppealBrief:
    """An appeal as a timeline or a feed shows it: its own words and its case links."""

    id: int
    slug: str
    title: str
    summary: str
    kind: AppealKind = AppealKind.APPEAL
    parent_id: int | None = None
    urgency: Urgency = Urgency.NORMAL
    status: AppealStatus = AppealStatus.PUBLISHED
    language: str = "en"
    issued_on: date | None = None
    issued_precision: DatePrecision = DatePrecision.DAY
    deadline: date | None = None
    source_name: str | None = None
    source_url: str | None = None
    published_at: datetime | None = None
    letter_facts: str | None = None
    summary_pasted: bool = False
    reminders: bool = True
    inferred: str | None = None
    safety_note: str | None = None
    created_at: datetime
    updated_at: datetime
    texts: tuple[AppealTextRecord, ...] = ()
    case_links: tuple[AppealCaseRecord, ...] = ()

    def text_in(self, language: str) -> AppealTextRecord | None:
        """Return the appeal's words in a language other than its own (None: not written,
        or its own language, whose words are the appeal's)."""
        if language == self.language:
            return None
        return next((text for text in self.texts if text.language == language), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class AppealRecord(AppealBrief):
    """An appeal with everything a message, page or letter about it shows."""

    cases: tuple[CaseRecord, ...] = ()
    demands: tuple[DemandRecord, ...] = ()
    events: tuple[EventRecord, ...] = ()
    targets: tuple[AppealTargetRecord, ...] = ()


def target_record(row: Target) -> TargetRecord:
    """Return an office as a value."""
    return TargetRecord(
        id=row.id,
        key=row.key,
        name=row.name,
        role=row.role,
        organisation=row.organisation,
        country=row.country,
        emails=tuple(row.emails or ()),
        phones=tuple(row.phones or ()),
        faxes=tuple(row.faxes or ()),
        postal_address=row.postal_address,
        salutation=row.salutation,
        notes=row.notes,
        languages=tuple(row.languages or ()),
        texts=dict(row.texts or {}),
    )


def _name(row: CaseName) -> CaseNameRecord:
    return CaseNameRecord(name=row.name, shown=row.shown)


def _case_text(row: CaseText) -> CaseTextRecord:
    return CaseTextRecord(
        language=row.language,
        name=row.name,
        place=row.place,
        summary=row.summary,
        outcome=row.outcome,
        about=row.about,
    )


def case_record(row: Case) -> CaseRecord:
    """Return a case, loaded with its names and texts, as a value."""
    return CaseRecord(
        id=row.id,
        slug=row.slug,
        name=row.name,
        country=row.country,
        place=row.place,
        status=row.status,
        summary=row.summary,
        outcome=row.outcome,
        about=row.about,
        names=tuple(_name(name) for name in row.names),
        texts=tuple(_case_text(text) for text in row.texts),
    )


def _appeal_text(row: AppealText) -> AppealTextRecord:
    return AppealTextRecord(
        language=row.language,
        title=row.title,
        summary=row.summary,
        letter_facts=row.letter_facts,
        inferred=row.inferred,
        safety_note=row.safety_note,
        demands=tuple(row.demands or ()),
    )


def _link(row: AppealCase) -> AppealCaseRecord:
    return AppealCaseRecord(
        appeal_id=row.appeal_id,
        case_id=row.case_id,
        letter_facts=row.letter_facts,
        inferred=row.inferred,
        texts=dict(row.texts or {}),
    )


def _demand(row: Demand) -> DemandRecord:
    return DemandRecord(
        id=row.id,
        position=row.position,
        text=row.text,
        solidarity=row.solidarity,
        case_id=row.case_id,
        addressees=tuple(target_record(target) for target in row.addressees),
    )


def _event(row: AppealEvent) -> EventRecord:
    return EventRecord(
        id=row.id,
        appeal_id=row.appeal_id,
        on_date=row.on_date,
        precision=row.precision,
        kind=row.kind,
        label=row.label,
        labels=dict(row.labels or {}),
        case_id=row.case_id,
    )


def _appeal_target(row: AppealTarget) -> AppealTargetRecord:
    return AppealTargetRecord(
        target_id=row.target_id,
        kind=row.kind,
        position=row.position,
        note=row.note,
        notes=dict(row.notes or {}),
        target=target_record(row.target),
    )


def _own(row: Appeal) -> dict[str, Any]:
    return {
        "id": row.id,
        "slug": row.slug,
        "title": row.title,
        "summary": row.summary,
        "kind": row.kind,
        "parent_id": row.parent_id,
        "urgency": row.urgency,
        "status": row.status,
        "language": row.language,
        "issued_on": row.issued_on,
        "issued_precision": row.issued_precision,
        "deadline": row.deadline,
        "source_name": row.source_name,
        "source_url": row.source_url,
        "published_at": row.published_at,
        "letter_facts": row.letter_facts,
        "summary_pasted": row.summary_pasted,
        "reminders": row.reminders,
        "inferred": row.inferred,
        "safety_note": row.safety_note,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "texts": tuple(_appeal_text(text) for text in row.texts),
        "case_links": tuple(_link(link) for link in row.case_links),
    }


def appeal_brief(row: Appeal) -> AppealBrief:
    """Return an appeal loaded with its texts and case links as a value."""
    return AppealBrief(**_own(row))


def appeal_record(row: Appeal) -> AppealRecord:
    """Return an appeal loaded whole (as ``full_appeal`` loads it) as a value."""
    return AppealRecord(
        **_own(row),
        cases=tuple(case_record(case) for case in row.cases),
        demands=tuple(_demand(demand) for demand in row.demands),
        events=tuple(_event(event) for event in row.events),
        targets=tuple(_appeal_target(link) for link in row.targets),
    )
