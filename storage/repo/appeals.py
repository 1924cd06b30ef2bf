"""Queries and changes for appeals, their demands, events and targets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload
from sqlalchemy.sql.base import ExecutableOption

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
    AppealEvent,
    AppealTarget,
    AppealText,
    Case,
    Demand,
    Target,
    appeal_cases,
)
from storage.repo.visibility import public_appeal


@dataclass(frozen=True, slots=True)
class TargetLink:
    """A target as one appeal names it."""

    target: Target
    kind: TargetKind
    note: str | None = None
    notes: Mapping[str, str] | None = None  # the note in other languages


@dataclass(frozen=True, slots=True)
class CaseLinkWords:
    """What an appeal says of one of its cases: facts for letters, and any inference."""

    letter_facts: str | None = None
    inferred: str | None = None  # why the case is linked, when the appeal does not say
    texts: Mapping[str, Mapping[str, str]] | None = None  # both, in other languages


@dataclass(frozen=True, slots=True)
class DemandSpec:
    """A demand as it is written: its text, its case, who can act on it."""

    text: str
    solidarity: bool = False
    case: Case | None = None
    addressees: Sequence[Target] = ()


@dataclass(frozen=True, slots=True)
class EventSpec:
    """A dated event as it is written."""

    on_date: date
    label: str
    precision: DatePrecision = DatePrecision.DAY
    kind: EventKind = EventKind.OTHER
    case: Case | None = None
    labels: Mapping[str, str] = field(default_factory=dict)  # in other languages


def full_appeal() -> list[ExecutableOption]:
    """Load everything an appeal is shown with, in a fixed number of queries."""
    return [
        selectinload(Appeal.cases).selectinload(Case.names),
        selectinload(Appeal.cases).selectinload(Case.texts),
        selectinload(Appeal.texts),
        selectinload(Appeal.demands).selectinload(Demand.addressees),
        selectinload(Appeal.events),
        selectinload(Appeal.targets).selectinload(AppealTarget.target),
        selectinload(Appeal.case_links),
    ]


async def get_appeal(session: AsyncSession, appeal_id: int) -> Appeal | None:
    """Return the appeal with everything it is shown with."""
    statement = select(Appeal).where(Appeal.id == appeal_id).options(*full_appeal())
    return (await session.scalars(statement)).one_or_none()


async def get_appeal_by_slug(session: AsyncSession, slug: str) -> Appeal | None:
    """Return the appeal with this slug, with everything it is shown with."""
    statement = select(Appeal).where(Appeal.slug == slug).options(*full_appeal())
    return (await session.scalars(statement)).one_or_none()


async def get_appeal_status(session: AsyncSession, appeal_id: int) -> AppealStatus | None:
    """Return an appeal's status (None if there is no such appeal)."""
    return await session.scalar(select(Appeal.status).where(Appeal.id == appeal_id))


async def get_appeal_status_by_slug(
    session: AsyncSession, slug: str
) -> tuple[int, AppealStatus] | None:
    """Return the id and status of the appeal with this slug."""
    row = (
        await session.execute(select(Appeal.id, Appeal.status).where(Appeal.slug == slug))
    ).first()
    return (row[0], row[1]) if row else None


async def count_appeals(session: AsyncSession) -> int:
    """Return how many appeals exist, in any state."""
    return (await session.scalar(select(func.count()).select_from(Appeal))) or 0


async def list_appeals(
    session: AsyncSession,
    *,
    statuses: Sequence[AppealStatus] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Appeal]:
    """Return appeals newest first, with everything they are shown with.

    Without ``statuses``, the public ones; admins' tools ask for others by name.
    """
    condition = public_appeal() if statuses is None else Appeal.status.in_(statuses)
    statement = (
        select(Appeal)
        .where(condition)
        .order_by(Appeal.issued_on.desc(), Appeal.id.desc())
        .offset(offset)
        .limit(limit)
        .options(*full_appeal())
    )
    return list((await session.scalars(statement)).all())


@dataclass(frozen=True, slots=True)
class NewAppeal:
    """Everything an appeal is created with: a draft's, a seed's, an outcome's."""

    slug: str
    title: str
    summary: str
    urgency: Urgency
    issued_on: date | None
    cases: Sequence[Case]
    kind: AppealKind = AppealKind.APPEAL
    status: AppealStatus = AppealStatus.DRAFT
    language: str = "en"
    issued_precision: DatePrecision = DatePrecision.DAY
    deadline: date | None = None
    source_name: str | None = None
    source_url: str | None = None
    parent_id: int | None = None
    published_at: datetime | None = None
    created_by: int | None = None
    demands: Sequence[DemandSpec] = ()
    events: Sequence[EventSpec] = ()
    targets: Sequence[TargetLink] = ()
    letter_facts: str | None = None
    case_words: Mapping[int, CaseLinkWords] | None = None  # by case id
    inferred: str | None = None
    safety_note: str | None = None
    summary_pasted: bool = False
    texts: Sequence[AppealText] = ()


async def create_appeal(session: AsyncSession, new: NewAppeal) -> Appeal:
    """Create an appeal with its demands, events, targets and the facts letters give."""
    appeal = Appeal(
        slug=new.slug,
        title=new.title,
        summary=new.summary,
        kind=new.kind,
        urgency=new.urgency,
        status=new.status,
        language=new.language,
        issued_on=new.issued_on,
        issued_precision=new.issued_precision,
        deadline=new.deadline,
        source_name=new.source_name,
        source_url=new.source_url,
        parent_id=new.parent_id,
        published_at=new.published_at,
        created_by=new.created_by,
        letter_facts=new.letter_facts,
        inferred=new.inferred,
        safety_note=new.safety_note,
        summary_pasted=new.summary_pasted,
        cases=list(new.cases),
        demands=[
            Demand(
                position=n,
                text=spec.text,
                solidarity=spec.solidarity,
                case_id=spec.case.id if spec.case is not None else None,
                addressees=[] if spec.solidarity else list(spec.addressees),
            )
            for n, spec in enumerate(new.demands, start=1)
        ],
        events=[
            AppealEvent(
                on_date=spec.on_date,
                label=spec.label,
                precision=spec.precision,
                kind=spec.kind,
                case_id=spec.case.id if spec.case is not None else None,
                labels=dict(spec.labels),
            )
            for spec in new.events
        ],
        targets=[
            AppealTarget(
                target=link.target,
                kind=link.kind,
                position=n,
                note=link.note,
                notes=dict(link.notes or {}),
            )
            for n, link in enumerate(new.targets, start=1)
        ],
        texts=list(new.texts),
    )
    session.add(appeal)
    await session.flush()
    for case_id, words in (new.case_words or {}).items():
        await session.execute(
            update(appeal_cases)
            .where(appeal_cases.c.appeal_id == appeal.id, appeal_cases.c.case_id == case_id)
            .values(
                letter_facts=words.letter_facts,
                inferred=words.inferred,
                texts={language: dict(said) for language, said in (words.texts or {}).items()},
            )
        )
    return appeal


async def appeals_for_case(
    session: AsyncSession, case_id: int, *, whole: bool = True
) -> list[Appeal]:
    """Return the public appeals about a case, oldest first: with everything they show, or
    (``whole`` False) only with their texts, for a timeline."""
    statement = (
        select(Appeal)
        .join(appeal_cases, appeal_cases.c.appeal_id == Appeal.id)
        .where(appeal_cases.c.case_id == case_id, public_appeal())
        .order_by(Appeal.issued_on, Appeal.id)
        .options(
            *(
                full_appeal()
                if whole
                else (selectinload(Appeal.texts), selectinload(Appeal.case_links))
            )
        )
    )
    return list((await session.scalars(statement)).all())


@dataclass(frozen=True, slots=True)
class AppealDates:
    """What an appeal's standing is read from, without the appeal itself."""

    id: int
    issued_on: date | None
    precision: DatePrecision
    deadline: date | None
    kind: AppealKind
    followed_up: date | None
    resolved: bool


def _followups(appeal_ids: Sequence[int] | None = None) -> Select[int | None, date | None]:
    """Return (appeal id, date of its newest public update) for appeals that have one."""
    child = aliased(Appeal)
    statement = select(child.parent_id, func.max(child.issued_on)).where(
        child.kind == AppealKind.UPDATE, child.status == AppealStatus.PUBLISHED
    )
    if appeal_ids is not None:
        statement = statement.where(child.parent_id.in_(appeal_ids))
    return statement.group_by(child.parent_id)


async def latest_followups(session: AsyncSession, appeal_ids: Sequence[int]) -> dict[int, date]:
    """Return the date of the newest public update to each of these appeals."""
    if not appeal_ids:
        return {}
    rows = await session.execute(_followups(appeal_ids))
    return {row[0]: row[1] for row in rows if row[0] is not None and row[1] is not None}


async def public_appeal_dates(session: AsyncSession) -> list[AppealDates]:
    """Return the dates of every public appeal, to order them by standing and age."""
    followups = _followups().subquery()
    open_case = (
        select(appeal_cases.c.appeal_id)
        .join(Case, Case.id == appeal_cases.c.case_id)
        .where(Case.status == CaseStatus.OPEN)
    )
    any_case = select(appeal_cases.c.appeal_id)
    statement = (
        select(
            Appeal.id,
            Appeal.issued_on,
            Appeal.issued_precision,
            Appeal.deadline,
            Appeal.kind,
            followups.c[1],
            Appeal.id.in_(any_case) & Appeal.id.not_in(open_case),
        )
        .outerjoin(followups, followups.c.parent_id == Appeal.id)
        .where(public_appeal())
    )
    return [
        AppealDates(
            id=row[0],
            issued_on=row[1],
            precision=row[2],
            deadline=row[3],
            kind=row[4],
            followed_up=row[5],
            resolved=bool(row[6]),
        )
        for row in await session.execute(statement)
    ]


async def get_appeals(session: AsyncSession, appeal_ids: Sequence[int]) -> list[Appeal]:
    """Return these appeals in the order given, with everything they are shown with."""
    statement = select(Appeal).where(Appeal.id.in_(appeal_ids)).options(*full_appeal())
    found = {appeal.id: appeal for appeal in (await session.scalars(statement)).all()}
    return [found[appeal_id] for appeal_id in appeal_ids if appeal_id in found]


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """A dated event on a case's timeline, with the appeal that tells of it."""

    on_date: date
    precision: DatePrecision
    kind: EventKind
    label: str
    appeal_id: int
    labels: dict[str, str] = field(default_factory=dict)


async def events_for_case(session: AsyncSession, case_id: int) -> list[CaseEvent]:
    """Return every dated event of the public appeals about a case, in date order.

    An event that belongs to one case shows on that case only; one told by several appeals
    (the same day, kind and words) shows once, with the first appeal that told of it.
    """
    statement = (
        select(
            AppealEvent.on_date,
            AppealEvent.precision,
            AppealEvent.kind,
            AppealEvent.label,
            Appeal.id,
            AppealEvent.labels,
        )
        .join(Appeal, Appeal.id == AppealEvent.appeal_id)
        .join(appeal_cases, appeal_cases.c.appeal_id == Appeal.id)
        .where(
            appeal_cases.c.case_id == case_id,
            public_appeal(),
            or_(AppealEvent.case_id.is_(None), AppealEvent.case_id == case_id),
        )
        .order_by(AppealEvent.on_date, Appeal.issued_on, Appeal.id, AppealEvent.id)
    )
    events: list[CaseEvent] = []
    seen: set[tuple[date, EventKind, str]] = set()
    for row in await session.execute(statement):
        key = (row[0], row[2], row[3])
        if key not in seen:
            seen.add(key)
            events.append(CaseEvent(row[0], row[1], row[2], row[3], row[4], dict(row[5] or {})))
    return events


async def ancestors(session: AsyncSession, appeal: Appeal, *, depth: int = 10) -> list[int]:
    """Return the appeals an update or outcome follows up, nearest first."""
    found: list[int] = []
    parent = appeal.parent_id
    while parent is not None and parent not in found and len(found) < depth:
        found.append(parent)
        parent = await session.scalar(select(Appeal.parent_id).where(Appeal.id == parent))
    return found
