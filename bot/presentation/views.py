"""Plain view values for templates: strings, numbers and tuples, formatted once, here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.extract.draft import DraftData
from bot.presentation.labels import (
    CHECK_NEWS,
    NO_FURTHER_ACTION,
    age_note,
    case_status_label,
    countdown,
    country_name,
    format_date,
    format_phone,
    kind_label,
    original_note,
    standing_mark,
)
from bot.presentation.localized import (
    appeal_inferred,
    appeal_summary,
    appeal_title,
    appeal_words,
    case_name,
    event_label,
    link_inferred,
    link_note,
    target_notes,
    target_word,
)
from bot.services.cases import CaseSummary
from bot.services.subscriptions import ChatSettings
from storage.enums import AppealKind, CaseStatus, TargetKind, Urgency
from storage.records import AppealRecord, AppealTargetRecord, CaseRecord
from storage.standing import Age, Standing
from templates.i18n import DEFAULT, NAMES, _, current


@dataclass(frozen=True, slots=True)
class CaseLink:
    """A case as a name to show (and where) and an id to open it by."""

    id: int
    name: str
    place: str | None = None
    inferred: str | None = None  # why the appeal is linked to it, when the appeal does not say
    slug: str = ""


@dataclass(frozen=True, slots=True)
class EventLine:
    date: str
    label: str
    appeal_id: int | None = None
    inferred: bool = False  # from an appeal linked to the case by inference


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
    kind: str  # appeal, update or outcome (to test); kind_label to show
    kind_label: str
    urgent: bool  # urgent, and still open
    cases: tuple[CaseLink, ...]
    summary: str
    events: tuple[EventLine, ...]
    deadline: str | None
    demands: tuple[str, ...]  # what officials are asked for
    solidarity: tuple[str, ...]  # programme points and messages of support
    source_name: str | None
    source_url: str | None
    standing: str  # open, past_deadline, archived
    mark: str  # "" for open, else "🗄 archived" or "⌛ past its deadline"
    age_note: str | None  # said at the top when the appeal is not open
    countdown: str | None  # "3 days left"
    language_note: str | None = None  # shown in its original language, not the reader's
    inferred: str | None = None  # what the record infers beyond its source
    protests: int = 0
    slug: str = ""
    country: str | None = None  # of its first case

    @property
    def case_names(self) -> str:
        """Return the names of the cases, comma-separated, a doubtful link marked."""
        return ", ".join(case.name + (" (?)" if case.inferred else "") for case in self.cases)

    @property
    def asks(self) -> bool:
        """Tell whether the appeal still asks for action (an archived one does not)."""
        return self.standing != Standing.ARCHIVED.value


@dataclass(frozen=True, slots=True)
class TimelineLine:
    appeal_id: int
    date: str
    title: str
    kind: str
    kind_label: str
    mark: str = ""
    inferred: str | None = None  # why it is linked to the case, when it does not say
    slug: str = ""


@dataclass(frozen=True, slots=True)
class CasePage:
    """A case: who, where, status, what happened when, the appeals about it."""

    id: int
    name: str
    aliases: tuple[str, ...]
    place: str
    status: str
    summary: str | None
    outcome: str | None
    events: tuple[EventLine, ...]  # what happened when, from every appeal
    timeline: tuple[TimelineLine, ...]  # the appeals, by publication date
    protests: int
    following: bool | None
    latest_appeal_id: int | None
    age_note: str | None  # when the newest appeal is no longer open
    language_note: str | None = None  # the summary is in its original language
    asks: bool = True  # some appeal about it still asks for action
    slug: str = ""

    @property
    def inferred(self) -> tuple[TimelineLine, ...]:
        """Return the appeals linked to the case by inference, with why."""
        return tuple(line for line in self.timeline if line.inferred)


@dataclass(frozen=True, slots=True)
class SettingsView:
    """What a chat receives."""

    subscribed: bool
    group: bool
    urgent_only: bool
    countries: tuple[str, ...]
    followed: tuple[CaseLink, ...]
    timezone: str | None = None  # reminders come at its hours (else the case's)
    language: str = "en"

    @property
    def language_name(self) -> str:
        """Return the chat's language by its own name."""
        return NAMES.get(self.language, self.language)


def _target_card(appeal: AppealRecord, link: AppealTargetRecord) -> TargetCard:
    target = link.target
    name, role = str(target_word(target, "name")), target_word(target, "role")
    organisation = target_word(target, "organisation")
    said = f"{name} {organisation or ''}".lower()
    role = role if role and role.lower() not in said else None
    organisation = organisation if organisation and organisation != name else None
    notes = tuple(note for note in (link_note(appeal, link) or target_notes(target),) if note)
    return TargetCard(
        name=name,
        role=role,
        organisation=organisation,
        emails=tuple(target.emails),
        faxes=tuple(format_phone(fax) for fax in target.faxes),
        phones=tuple(format_phone(phone) for phone in target.phones),
        postal_address=target.postal_address,
        salutation=target_word(target, "salutation"),
        notes=notes,
    )


def contact_groups(appeal: AppealRecord) -> ContactGroups:
    """Split an appeal's targets into whom to protest to, copies and embassy advice: every
    office the appeal names, as it names them (what one may be asked is in its letter)."""
    protest: list[TargetCard] = []
    copies: list[str] = []
    copy_notes: list[str] = []
    embassy: list[str] = []
    for link in appeal.targets:
        if link.kind is TargetKind.PROTEST:
            protest.append(_target_card(appeal, link))
        elif link.kind is TargetKind.COPY_TO:
            copies.extend(link.target.emails)
            if not link.target.emails:
                copy_notes.append(link.target.name + (f": {link.note}" if link.note else ""))
        else:
            embassy.append(
                link_note(appeal, link)
                or target_notes(link.target)
                or str(target_word(link.target, "name"))
            )
    return ContactGroups(tuple(protest), tuple(copies), tuple(copy_notes), tuple(embassy))


def _appeal_cases(appeal: AppealRecord) -> tuple[CaseLink, ...]:
    links = {link.case_id: link for link in appeal.case_links}
    return tuple(
        CaseLink(
            case.id,
            case_name(case),
            inferred=link_inferred(appeal, links[case.id]) if case.id in links else None,
            slug=case.slug,
        )
        for case in appeal.cases
    )


def appeal_card(appeal: AppealRecord, age: Age, *, protests: int = 0) -> AppealCard:
    """Return an appeal as readers see it, honest about how old it is."""
    words = appeal_words(appeal)
    return AppealCard(
        id=appeal.id,
        title=words.title,
        date=format_date(appeal.issued_on, appeal.issued_precision),
        kind=appeal.kind.value,
        kind_label=kind_label(appeal.kind),
        urgent=appeal.urgency is Urgency.URGENT and age.is_open,
        cases=_appeal_cases(appeal),
        summary=words.summary,
        events=tuple(
            EventLine(
                format_date(event.on_date, event.precision), event_label(event.label, event.labels)
            )
            for event in appeal.events
        ),
        deadline=format_date(appeal.deadline) if appeal.deadline else None,
        demands=tuple(text for text, solidarity in words.demands if not solidarity),
        solidarity=tuple(text for text, solidarity in words.demands if solidarity),
        source_name=appeal.source_name,
        source_url=appeal.source_url,
        standing=age.standing.value,
        mark=standing_mark(age.standing),
        age_note=age_note(age),
        countdown=countdown(age),
        language_note=words.note,
        inferred=appeal_inferred(appeal),
        protests=protests,
        slug=appeal.slug,
        country=appeal.cases[0].country if appeal.cases else None,
    )


def draft_card(
    data: DraftData, *, kind: AppealKind, age: Age, urgent: bool | None = None
) -> AppealCard:
    """Return a draft as readers will see it once published (``age``: as it will stand)."""
    is_urgent = (data.urgency is Urgency.URGENT if urgent is None else urgent) and age.is_open
    return AppealCard(
        id=None,
        title=data.title,
        date=format_date(age.issued_on, age.precision),
        kind=kind.value,
        kind_label=kind_label(kind),
        urgent=is_urgent,
        cases=tuple(CaseLink(ref.id or 0, ref.name) for ref in data.cases),
        summary=data.summary,
        events=tuple(EventLine(format_date(event.on), event.label) for event in data.events),
        deadline=format_date(data.deadline) if data.deadline else None,
        demands=tuple(demand.text for demand in data.demands if not demand.solidarity),
        solidarity=tuple(demand.text for demand in data.demands if demand.solidarity),
        source_name=None,
        source_url=data.source_url,
        standing=age.standing.value,
        mark=standing_mark(age.standing),
        age_note=age_note(age),
        countdown=countdown(age),
    )


def case_links(cases: Sequence[CaseRecord]) -> list[CaseLink]:
    """Return cases as names to show and tap."""
    return [CaseLink(case.id, case.name, case.place) for case in cases]


def _case_status(found: CaseSummary) -> str:
    """Return the case's status in words: its outcome, or how recent its news is."""
    case, latest = found.case, found.latest
    if case.status is not CaseStatus.OPEN:
        return case_status_label(case.status)
    if latest is None or latest.age.is_open:
        return _("open, action wanted")
    when = format_date(latest.appeal.issued_on, latest.appeal.issued_precision)
    return _("no outcome recorded; the newest appeal is from %(date)s") % {"date": when}


def case_page(found: CaseSummary) -> CasePage:
    """Return a case with what happened when and its appeals, oldest first."""
    case, appeals, latest = found.case, found.appeals, found.latest
    text = case.text_in(current())
    outcome = (text.outcome if text else None) or case.outcome
    summary, language_note = (text.summary if text else None), None
    if summary is None and case.summary:
        summary, language_note = case.summary, original_note(DEFAULT)
    if summary is None and appeals:
        summary, language_note = appeal_summary(appeals[-1].appeal)
    where = text.place if text is not None and text.place else case.place
    place = ", ".join(part for part in (where, country_name(case.country)) if part)
    note = None
    asks = any(item.age.standing is not Standing.ARCHIVED for item in appeals)
    if latest is not None and not latest.age.is_open and case.status is CaseStatus.OPEN:
        when = format_date(latest.appeal.issued_on, latest.appeal.issued_precision)
        note = _("The newest appeal about this case is from %(date)s.") % {"date": when}
        note += " " + (_(CHECK_NEWS) if asks else _(NO_FURTHER_ACTION))
    elif not asks and appeals:
        note = _(NO_FURTHER_ACTION)
    doubts = {}
    for item in appeals:
        links = [link for link in item.appeal.case_links if link.case_id == case.id]
        said = [link_inferred(item.appeal, link) for link in links]
        said.append(appeal_inferred(item.appeal))
        if any(said):
            doubts[item.appeal.id] = " ".join(text for text in said if text)
    return CasePage(
        id=case.id,
        name=case_name(case),
        aliases=tuple(
            name.name for name in case.names if name.shown and name.name != case_name(case)
        ),
        place=place,
        status=_case_status(found),
        summary=summary,
        outcome=outcome,
        events=tuple(
            EventLine(
                format_date(event.on_date, event.precision),
                event_label(event.label, event.labels),
                event.appeal_id,
                inferred=event.appeal_id in doubts,
            )
            for event in found.events
        ),
        timeline=tuple(
            TimelineLine(
                appeal_id=item.appeal.id,
                date=format_date(item.appeal.issued_on, item.appeal.issued_precision),
                title=appeal_title(item.appeal),
                kind=item.appeal.kind.value,
                kind_label=kind_label(item.appeal.kind),
                mark=standing_mark(item.age.standing) or (countdown(item.age) or ""),
                inferred=doubts.get(item.appeal.id),
                slug=item.appeal.slug,
            )
            for item in appeals
        ),
        protests=found.protests,
        following=found.following,
        latest_appeal_id=latest.appeal.id if latest else None,
        age_note=note,
        language_note=language_note,
        asks=asks,
        slug=case.slug,
    )


def settings_view(found: ChatSettings | None) -> SettingsView:
    """Return what a chat receives (not subscribed: nothing)."""
    if found is None:
        return SettingsView(False, False, False, (), ())
    return SettingsView(
        subscribed=True,
        group=found.group,
        urgent_only=found.urgent_only,
        countries=found.countries,
        followed=tuple(CaseLink(case_id, name) for case_id, name in found.followed),
        timezone=found.timezone,
        language=found.language,
    )
