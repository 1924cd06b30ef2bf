"""Admins added from Telegram."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Admin


async def is_stored_admin(session: AsyncSession, user_id: int) -> bool:
    """Tell whether a user was made an admin with /admins add."""
    return await session.get(Admin, user_id) is not None


async def add(session: AsyncSession, *, user_id: int, added_by: int | None) -> bool:
    """Make a user an admin; return False if they already were."""
    if await session.get(Admin, user_id) is not None:
        return False
    session.add(Admin(user_id=user_id, added_by=added_by))
    await session.flush()
    return True


async def remove(session: AsyncSession, user_id: int) -> bool:
    """Take admin rights away; return False if the user had none stored."""
    result = await session.execute(delete(Admin).where(Admin.user_id == user_id))
    return bool(getattr(result, "rowcount", 0))


async def stored_admins(session: AsyncSession) -> list[int]:
    """Return the user ids of admins added from Telegram."""
    return list((await session.scalars(select(Admin.user_id).order_by(Admin.user_id))).all())
