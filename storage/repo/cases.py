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
