"""Queries and changes for cases and their names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from storage.enums import CaseStatus, SubscriberState
from storage.models import (
    Case,
    CaseName,
    CaseText,
    Protest,
    Subscriber,
    appeal_cases,
    subscriber_cases,
)
from storage.names import search_key
from storage.repo.subscribers import at_address
from storage.repo.visibility import public_appeal_ids, public_case, public_case_ids


async def get_case_by_slug(session: AsyncSession, slug: str) -> Case | None:
    """Return the case with this slug, its names loaded."""
    statement = (
        select(Case)
        .where(Case.slug == slug)
        .options(selectinload(Case.names), selectinload(Case.texts))
    )
    return (await session.scalars(statement)).one_or_none()


async def get_case_ref_by_slug(session: AsyncSession, slug: str) -> tuple[int, str] | None:
    """Return the id and main name of the case with this slug."""
    row = (await session.execute(select(Case.id, Case.name).where(Case.slug == slug))).first()
    return (row[0], row[1]) if row else None


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
    about: str | None = None,
    aliases: Sequence[str] = (),
    texts: Sequence[CaseText] = (),
    misspellings: Sequence[str] = (),
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
            about=about,
            names=[],
            texts=[],
        )
        session.add(case)
    else:
        case.place = case.place or place
        case.summary = case.summary or summary
        case.outcome = case.outcome or outcome
        case.about = case.about or about
    written = {text.language: text for text in case.texts}
    for text in texts:
        if (have := written.get(text.language)) is None:
            case.texts.append(text)
            continue
        have.name = have.name or text.name
        have.place = have.place or text.place
        have.summary = have.summary or text.summary
        have.outcome = have.outcome or text.outcome
        have.about = have.about or text.about
    known = {existing.name for existing in case.names}
    for spelling in (name, *aliases, *misspellings):
        if spelling not in known:
            shown = spelling not in misspellings
            case.names.append(CaseName(name=spelling, search_key=search_key(spelling), shown=shown))
            known.add(spelling)
    await session.flush()
    return case, created


async def name_signature(session: AsyncSession) -> tuple[int, int, int]:
    """Return (count, highest id) of case names and how many cases are public.

    It changes whenever a name is added or removed, and whenever a case becomes public (an
    appeal about it is published) or hidden again (its last appeal is withdrawn).
    """
    names = select(func.count(), func.max(CaseName.id)).subquery()
    public = select(func.count()).select_from(public_case_ids().subquery()).scalar_subquery()
    row = (await session.execute(select(names, public))).one()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


async def is_public_case(session: AsyncSession, case_id: int) -> bool:
    """Tell whether the public can see a case."""
    return bool(await session.scalar(select(public_case(literal(case_id)))))


async def public_case_id_set(session: AsyncSession) -> set[int]:
    """Return the ids of every case the public can see."""
    return set((await session.scalars(public_case_ids())).all())


async def all_case_names(session: AsyncSession) -> list[tuple[int, str, str]]:
    """Return (case id, name, search key) for every name of every case."""
    statement = select(CaseName.case_id, CaseName.name, CaseName.search_key).order_by(CaseName.id)
    return [(row[0], row[1], row[2]) for row in await session.execute(statement)]


async def case_titles(session: AsyncSession) -> dict[int, str]:
    """Return every case's main name by its id."""
    return {row[0]: row[1] for row in await session.execute(select(Case.id, Case.name))}


async def get_case(session: AsyncSession, case_id: int) -> Case | None:
    """Return the case with this id, its names loaded."""
    statement = (
        select(Case)
        .where(Case.id == case_id)
        .options(joinedload(Case.names), selectinload(Case.texts))
    )
    return (await session.scalars(statement)).unique().one_or_none()


async def get_cases(session: AsyncSession, case_ids: Sequence[int]) -> list[Case]:
    """Return the cases with these ids, in the order given."""
    statement = (
        select(Case)
        .where(Case.id.in_(case_ids))
        .options(selectinload(Case.names), selectinload(Case.texts))
    )
    found = {case.id: case for case in await session.scalars(statement)}
    return [found[case_id] for case_id in case_ids if case_id in found]


async def list_open_cases(session: AsyncSession, *, limit: int = 50) -> list[Case]:
    """Return the public open cases, most recently changed first."""
    statement = (
        select(Case)
        .where(Case.status == CaseStatus.OPEN, public_case(Case.id))
        .order_by(Case.updated_at.desc(), Case.id.desc())
        .limit(limit)
        .options(selectinload(Case.names), selectinload(Case.texts))
    )
    return list((await session.scalars(statement)).all())


async def count_open_cases(session: AsyncSession) -> int:
    """Return how many public cases are open."""
    statement = (
        select(func.count())
        .select_from(Case)
        .where(Case.status == CaseStatus.OPEN, public_case(Case.id))
    )
    return (await session.scalar(statement)) or 0


async def list_countries(session: AsyncSession) -> list[str]:
    """Return the country codes public cases are in, sorted."""
    statement = select(Case.country).where(public_case(Case.id)).distinct().order_by(Case.country)
    return list((await session.scalars(statement)).all())


@dataclass(frozen=True, slots=True)
class CaseFigures:
    """A case with what its summary counts: protests, and whether a chat follows it."""

    case: Case
    protests: int
    following: bool | None


async def get_case_figures(
    session: AsyncSession, case_id: int, *, reader: tuple[str, str] | None
) -> CaseFigures | None:
    """Load a public case, its names, its protest count and whether the reader (a channel
    and an address) follows it, at once.

    None when there is no such case, or the public cannot see it.
    """
    protests = (
        select(func.count())
        .select_from(Protest)
        .join(appeal_cases, appeal_cases.c.appeal_id == Protest.appeal_id)
        .where(
            appeal_cases.c.case_id == case_id,
            Protest.appeal_id.in_(public_appeal_ids().scalar_subquery()),
        )
        .scalar_subquery()
    )
    channel, address = reader or ("", "")
    active = at_address(session, channel, address) & (Subscriber.state == SubscriberState.ACTIVE)
    subscribed = exists(select(Subscriber.id).where(active))
    follows = exists(
        select(subscriber_cases.c.case_id)
        .join(Subscriber, Subscriber.id == subscriber_cases.c.subscriber_id)
        .where(active, subscriber_cases.c.case_id == case_id)
    )
    statement = (
        select(Case, protests, subscribed, follows)
        .where(Case.id == case_id, public_case(Case.id))
        .options(joinedload(Case.names), selectinload(Case.texts))
    )
    row = (await session.execute(statement)).unique().first()
    if row is None:
        return None
    case, count, is_subscribed, is_following = row
    following = bool(is_following) if reader is not None and is_subscribed else None
    return CaseFigures(case=case, protests=int(count or 0), following=following)
