""" "I sent a protest" taps, by keyed hash: counted once, never who."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Protest


async def record_action(
    session: AsyncSession, *, appeal_id: int, taker: str, case_id: int | None = None
) -> bool:
    """Count a protest for an appeal once; return False if it was already counted."""
    existing = await session.scalar(
        select(Protest.id).where(Protest.appeal_id == appeal_id, Protest.taker == taker)
    )
    if existing is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(Protest(appeal_id=appeal_id, taker=taker, case_id=case_id))
    except IntegrityError:
        return False  # a second tap that raced the first
    return True


async def count_for_appeal(session: AsyncSession, appeal_id: int) -> int:
    """Return how many people said they protested about an appeal."""
    statement = select(func.count()).select_from(Protest).where(Protest.appeal_id == appeal_id)
    return (await session.scalar(statement)) or 0


async def takers(session: AsyncSession, appeal_id: int, among: Sequence[str]) -> set[str]:
    """Return which of these hashes tapped "I sent a protest" on an appeal."""
    if not among:
        return set()
    statement = select(Protest.taker).where(
        Protest.appeal_id == appeal_id, Protest.taker.in_(list(among))
    )
    return set((await session.scalars(statement)).all())
