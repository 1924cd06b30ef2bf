"""Queries and changes for appeals, their demands, events and targets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.base import ExecutableOption

from storage.enums import AppealKind, AppealStatus, DatePrecision, TargetKind, Urgency
from storage.models import (
    Appeal,
    AppealEvent,
    AppealTarget,
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


def full_appeal() -> list[ExecutableOption]:
    """Load everything an appeal is shown with, in a fixed number of queries."""
    return [
        selectinload(Appeal.cases).selectinload(Case.names),
        selectinload(Appeal.demands),
        selectinload(Appeal.events),
        selectinload(Appeal.targets).selectinload(AppealTarget.target),
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


async def create_appeal(
    session: AsyncSession,
    *,
    slug: str,
    title: str,
    summary: str,
    urgency: Urgency,
    issued_on: date | None,
    cases: Sequence[Case],
    kind: AppealKind = AppealKind.APPEAL,
    status: AppealStatus = AppealStatus.DRAFT,
    language: str = "en",
    issued_precision: DatePrecision = DatePrecision.DAY,
    deadline: date | None = None,
    source_name: str | None = None,
    source_url: str | None = None,
    parent_id: int | None = None,
    published_at: datetime | None = None,
    created_by: int | None = None,
    demands: Sequence[str] = (),
    events: Sequence[tuple[date, str]] = (),
    targets: Sequence[TargetLink] = (),
) -> Appeal:
    """Create an appeal with its demands, events and targets."""
    appeal = Appeal(
        slug=slug,
        title=title,
        summary=summary,
        kind=kind,
        urgency=urgency,
        status=status,
        language=language,
        issued_on=issued_on,
        issued_precision=issued_precision,
        deadline=deadline,
        source_name=source_name,
        source_url=source_url,
        parent_id=parent_id,
        published_at=published_at,
        created_by=created_by,
        cases=list(cases),
        demands=[Demand(position=n, text=text) for n, text in enumerate(demands, start=1)],
        events=[AppealEvent(on_date=on_date, label=label) for on_date, label in events],
        targets=[
            AppealTarget(target=link.target, kind=link.kind, position=n, note=link.note)
            for n, link in enumerate(targets, start=1)
        ],
    )
    session.add(appeal)
    await session.flush()
    return appeal


async def appeals_for_case(session: AsyncSession, case_id: int) -> list[Appeal]:
    """Return the public appeals about a case, oldest first, with everything they show."""
    statement = (
        select(Appeal)
        .join(appeal_cases, appeal_cases.c.appeal_id == Appeal.id)
        .where(appeal_cases.c.case_id == case_id, public_appeal())
        .order_by(Appeal.issued_on, Appeal.id)
        .options(*full_appeal())
    )
    return list((await session.scalars(statement)).all())


async def count_public(session: AsyncSession) -> int:
    """Return how many appeals the public can see."""
    statement = select(func.count()).select_from(Appeal).where(public_appeal())
    return (await session.scalar(statement)) or 0


async def timeline_for_case(session: AsyncSession, case_id: int) -> list[Appeal]:
    """Return the public appeals about a case, oldest first, without their details."""
    statement = (
        select(Appeal)
        .join(appeal_cases, appeal_cases.c.appeal_id == Appeal.id)
        .where(appeal_cases.c.case_id == case_id, public_appeal())
        .order_by(Appeal.issued_on, Appeal.id)
    )
    return list((await session.scalars(statement)).all())


async def set_channel_posts(session: AsyncSession, posts: Sequence[tuple[int, int]]) -> None:
    """Record the channel mirror's post of each (appeal id, message id)."""
    for appeal_id, message_id in posts:
        appeal = await session.get(Appeal, appeal_id)
        if appeal is not None:
            appeal.channel_message_id = message_id


async def get_channel_post(session: AsyncSession, appeal_id: int | None) -> int | None:
    """Return the channel mirror's message id of an appeal's post, if it has one."""
    if appeal_id is None:
        return None
    return await session.scalar(select(Appeal.channel_message_id).where(Appeal.id == appeal_id))
