"""The audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


async def log_action(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    actor_id: int | None = None,
    subject: str | None = None,
    allowed: bool = True,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record who did what (or tried to), and when."""
    session.add(
        AuditEntry(
            actor=actor,
            actor_id=actor_id,
            action=action,
            subject=subject,
            allowed=allowed,
            detail=detail or {},
        )
    )
    await session.flush()
