"""Plain view values for templates: strings, numbers and tuples, formatted once, here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.extract.draft import DraftData
from bot.presentation.labels import (
    KIND_LABELS,
    case_status_label,
    country_name,
    format_date,
    format_phone,
)
from bot.services.cases import CaseSummary
from storage.enums import AppealKind, DatePrecision, TargetKind, Urgency
from storage.models import Appeal, AppealTarget, Case, Subscriber
from storage.types import utcnow


@dataclass(frozen=True, slots=True)
class CaseLink:
    """A case as a name to show (and where) and an id to open it by."""

    id: int
    name: str
    place: str | None = None


@dataclass(frozen=True, slots=True)
class EventLine:
    date: str
    label: str


@dataclass(frozen=True, slots=True)
class TargetCard:
    """Whom to write to, with every way to reach them, formatted for reading."""

    name: str
    role: str | None
    organisation: str | None
    emails: tuple[str, ...]
    faxes: tuple[str, ...]
    phones: tuple[str, ...]
    postal_address: str | None
    salutation: str | None
    notes: tuple[str, ...]

    @property
    def reachable(self) -> bool:
        """Tell whether there is any way to reach this target."""
        return bool(self.emails or self.faxes or self.phones or self.postal_address)


@dataclass(frozen=True, slots=True)
class ContactGroups:
    """An appeal's targets: whom to protest to, where to send copies, embassy advice."""

    protest: tuple[TargetCard, ...]
    copies: tuple[str, ...]
    copy_notes: tuple[str, ...]
    embassy: tuple[str, ...]

    @property
    def empty(self) -> bool:
        """Tell whether the appeal names nobody at all."""
        return not (self.protest or self.copies or self.copy_notes or self.embassy)


@dataclass(frozen=True, slots=True)
class AppealCard:
    """An appeal as readers see it (or, for a draft, as they will)."""

    id: int | None
    title: str
    date: str
    kind: str
    urgent: bool
    cases: tuple[CaseLink, ...]
    summary: str
    events: tuple[EventLine, ...]
    deadline: str | None
    demands: tuple[str, ...]
    source_name: str | None
    source_url: str | None

    @property
    def case_names(self) -> str:
        """Return the names of the cases, comma-separated."""
        return ", ".join(case.name for case in self.cases)


@dataclass(frozen=True, slots=True)
class TimelineLine:
    appeal_id: int
    date: str
    title: str
    kind: str


@dataclass(frozen=True, slots=True)
class CasePage:
    """A case summary: who, where, status, what happened, the appeals about it."""

    id: int
    name: str
    aliases: tuple[str, ...]
    place: str
    status: str
    summary: str | None
    outcome: str | None
    timeline: tuple[TimelineLine, ...]
    protests: int
    following: bool | None
    latest_appeal_id: int | None


@dataclass(frozen=True, slots=True)
class SettingsView:
    """What a chat receives."""

    subscribed: bool
    group: bool
    urgent_only: bool
    countries: tuple[str, ...]
    followed: tuple[CaseLink, ...]


def _target_card(link: AppealTarget) -> TargetCard:
    target = link.target
    role = target.role if target.role and target.role not in target.name else None
    organisation = (
        target.organisation if target.organisation and target.organisation != target.name else None
    )
    notes = tuple(note for note in (link.note, target.notes) if note)
    return TargetCard(
        name=target.name,
        role=role,
        organisation=organisation,
        emails=tuple(target.emails),
        faxes=tuple(format_phone(fax) for fax in target.faxes),
        phones=tuple(format_phone(phone) for phone in target.phones),
        postal_address=target.postal_address,
        salutation=target.salutation,
        notes=notes,
    )


def contact_groups(appeal: Appeal) -> ContactGroups:
    """Split an appeal's targets into whom to protest to, copies and embassy advice."""
    protest, copies, copy_notes, embassy = [], [], [], []
    for link in appeal.targets:
        if link.kind is TargetKind.PROTEST:
            protest.append(_target_card(link))
        elif link.kind is TargetKind.COPY_TO:
            copies.extend(link.target.emails)
            if not link.target.emails:
                copy_notes.append(link.target.name + (f": {link.note}" if link.note else ""))
        else:
            embassy.append(link.note or link.target.notes or link.target.name)
    return ContactGroups(tuple(protest), tuple(copies), tuple(copy_notes), tuple(embassy))


def appeal_card(appeal: Appeal) -> AppealCard:
    """Return an appeal as readers see it."""
    return AppealCard(
        id=appeal.id,
        title=appeal.title,
        date=format_date(appeal.issued_on, appeal.issued_precision),
        kind=KIND_LABELS[appeal.kind],
        urgent=appeal.urgency is Urgency.URGENT,
        cases=tuple(CaseLink(case.id, case.name) for case in appeal.cases),
        summary=appeal.summary,
        events=tuple(EventLine(format_date(e.on_date), e.label) for e in appeal.events),
        deadline=format_date(appeal.deadline) if appeal.deadline else None,
        demands=tuple(demand.text for demand in appeal.demands),
        source_name=appeal.source_name,
        source_url=appeal.source_url,
    )


def draft_card(data: DraftData, *, kind: AppealKind, urgent: bool | None = None) -> AppealCard:
    """Return a draft as readers will see it once published."""
    is_urgent = data.urgency is Urgency.URGENT if urgent is None else urgent
    return AppealCard(
        id=None,
        title=data.title,
        date=format_date(utcnow().date(), DatePrecision.DAY),
        kind=KIND_LABELS[kind],
        urgent=is_urgent,
        cases=tuple(CaseLink(ref.id or 0, ref.name) for ref in data.cases),
        summary=data.summary,
        events=tuple(EventLine(format_date(event.on), event.label) for event in data.events),
        deadline=format_date(data.deadline) if data.deadline else None,
        demands=tuple(data.demands),
        source_name=None,
        source_url=data.source_url,
    )


def case_links(cases: Sequence[Case]) -> list[CaseLink]:
    """Return cases as names to show and tap."""
    return [CaseLink(case.id, case.name, case.place) for case in cases]


def case_page(found: CaseSummary) -> CasePage:
    """Return a case summary with its appeals, oldest first."""
    case, appeals = found.case, found.appeals
    place = ", ".join(part for part in (case.place, country_name(case.country)) if part)
    return CasePage(
        id=case.id,
        name=case.name,
        aliases=tuple(name.name for name in case.names if name.name != case.name),
        place=place,
        status=case_status_label(case.status),
        summary=found.summary,
        outcome=case.outcome,
        timeline=tuple(
            TimelineLine(
                appeal_id=appeal.id,
                date=format_date(appeal.issued_on, appeal.issued_precision),
                title=appeal.title,
                kind=KIND_LABELS[appeal.kind],
            )
            for appeal in appeals
        ),
        protests=found.protests,
        following=found.following,
        latest_appeal_id=appeals[-1].id if appeals else None,
    )


def settings_view(subscriber: Subscriber | None) -> SettingsView:
    """Return what a chat receives (not subscribed: nothing)."""
    if subscriber is None or subscriber.state.value != "active":
        return SettingsView(False, False, False, (), ())
    return SettingsView(
        subscribed=True,
        group=bool(subscriber.chat_type and subscriber.chat_type != "private"),
        urgent_only=subscriber.urgent_only,
        countries=tuple(subscriber.countries),
        followed=tuple(CaseLink(case.id, case.name) for case in subscriber.followed),
    )
