"""Queries and changes for cases and their names."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.enums import CaseStatus
from storage.models import Case, CaseName
from storage.names import search_key


async def get_case_by_slug(session: AsyncSession, slug: str) -> Case | None:
    """Return the case with this slug, its names loaded."""
    statement = select(Case).where(Case.slug == slug).options(selectinload(Case.names))
    return (await session.scalars(statement)).one_or_none()


async def count_cases(session: AsyncSession) -> int:
    """Return how many cases exist."""
    return (await session.scalar(select(func.count()).select_from(Case))) or 0


async def upsert_case(
    session: AsyncSession,
    *,
    slug: str,
    name: str,
    country: str,
    place: str | None = None,
    status: CaseStatus = CaseStatus.OPEN,
    summary: str | None = None,
    outcome: str | None = None,
    aliases: Sequence[str] = (),
) -> tuple[Case, bool]:
    """Create the case, or fill in what an existing one lacks; add any new names.

    Never overwrites a value already stored, so re-loading data keeps what admins changed.
    Returns the case and whether it was created.
    """
    case = await get_case_by_slug(session, slug)
    created = case is None
    if case is None:
        case = Case(
            slug=slug,
            name=name,
            country=country,
            place=place,
            status=status,
            summary=summary,
            outcome=outcome,
            names=[],
        )
        session.add(case)
    else:
        case.place = case.place or place
        case.summary = case.summary or summary
        case.outcome = case.outcome or outcome
    known = {existing.name for existing in case.names}
    for spelling in (name, *aliases):
        if spelling not in known:
            case.names.append(CaseName(name=spelling, search_key=search_key(spelling)))
            known.add(spelling)
    await session.flush()
    return case, created


async def name_signature(session: AsyncSession) -> tuple[int, int]:
    """Return (count, highest id) of case names: changes whenever a name is added or removed."""
    row = (await session.execute(select(func.count(), func.max(CaseName.id)))).one()
    return int(row[0] or 0), int(row[1] or 0)


async def all_case_names(session: AsyncSession) -> list[tuple[int, str, str]]:
    """Return (case id, name, search key) for every name of every case."""
    statement = select(CaseName.case_id, CaseName.name, CaseName.search_key).order_by(CaseName.id)
    return [(row[0], row[1], row[2]) for row in await session.execute(statement)]


async def get_case(session: AsyncSession, case_id: int) -> Case | None:
    """Return the case with this id, its names loaded."""
    statement = select(Case).where(Case.id == case_id).options(selectinload(Case.names))
    return (await session.scalars(statement)).one_or_none()


async def get_cases(session: AsyncSession, case_ids: Sequence[int]) -> list[Case]:
    """Return the cases with these ids, in the order given."""
    statement = select(Case).where(Case.id.in_(case_ids)).options(selectinload(Case.names))
    found = {case.id: case for case in await session.scalars(statement)}
    return [found[case_id] for case_id in case_ids if case_id in found]


async def list_open_cases(session: AsyncSession, *, limit: int = 50) -> list[Case]:
    """Return open cases, most recently changed first."""
    statement = (
        select(Case)
        .where(Case.status == CaseStatus.OPEN)
        .order_by(Case.updated_at.desc(), Case.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


async def count_open_cases(session: AsyncSession) -> int:
    """Return how many cases are open."""
    statement = select(func.count()).select_from(Case).where(Case.status == CaseStatus.OPEN)
    return (await session.scalar(statement)) or 0


async def list_countries(session: AsyncSession) -> list[str]:
    """Return the country codes cases are in, sorted."""
    return list(
        (await session.scalars(select(Case.country).distinct().order_by(Case.country))).all()
    )
