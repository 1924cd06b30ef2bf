"""Who is an admin: the ids in APPEALBOT_ADMIN_IDS, and those they added with /admins add."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from storage.repo import admins
from storage.repo.audit import log_action


async def is_admin(session: AsyncSession, settings: Settings, user_id: int | None) -> bool:
    """Tell whether a Telegram user may use admin commands."""
    if user_id is None:
        return False
    return user_id in settings.admin_ids or await admins.is_stored_admin(session, user_id)


async def refuse(session: AsyncSession, *, user_id: int | None, command: str) -> None:
    """Record that someone who is not an admin tried an admin command."""
    await log_action(
        session,
        actor=f"telegram:{user_id}" if user_id is not None else "telegram:unknown",
        actor_id=user_id,
        action=command,
        allowed=False,
    )


async def all_admins(session: AsyncSession, settings: Settings) -> list[tuple[int, str]]:
    """Return every admin id with where the right comes from."""
    stored = await admins.stored_admins(session)
    listed = [(user_id, "configuration") for user_id in sorted(settings.admin_ids)]
    return listed + [(user_id, "added") for user_id in stored if user_id not in settings.admin_ids]
