""" "I sent a protest" taps."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Action, appeal_cases


async def record_action(
    session: AsyncSession, *, appeal_id: int, user_id: int, case_id: int | None = None
) -> bool:
    """Count a user's protest for an appeal once; return False if it was already counted."""
    existing = await session.scalar(
        select(Action.id).where(Action.appeal_id == appeal_id, Action.user_id == user_id)
    )
    if existing is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(Action(appeal_id=appeal_id, user_id=user_id, case_id=case_id))
    except IntegrityError:
        return False  # a second tap that raced the first
    return True


async def count_for_appeal(session: AsyncSession, appeal_id: int) -> int:
    """Return how many people said they protested about an appeal."""
    statement = select(func.count()).select_from(Action).where(Action.appeal_id == appeal_id)
    return (await session.scalar(statement)) or 0


async def protesters_for_case(session: AsyncSession, case_id: int) -> list[int]:
    """Return the users who tapped "I sent a protest" on any appeal about a case."""
    statement = (
        select(Action.user_id)
        .join(appeal_cases, appeal_cases.c.appeal_id == Action.appeal_id)
        .where(appeal_cases.c.case_id == case_id)
        .distinct()
        .order_by(Action.user_id)
    )
    return list((await session.scalars(statement)).all())
