"""Drafts of appeals being written in a chat."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.enums import AppealKind
from storage.models import Draft


async def get_draft(session: AsyncSession, *, admin_id: int, chat_id: int) -> Draft | None:
    """Return the admin's open draft in a chat."""
    statement = select(Draft).where(Draft.admin_id == admin_id, Draft.chat_id == chat_id)
    return (await session.scalars(statement)).one_or_none()


async def start_draft(
    session: AsyncSession,
    *,
    admin_id: int,
    chat_id: int,
    step: str,
    kind: AppealKind,
    case_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> Draft:
    """Open a new draft, replacing any the admin had in this chat."""
    draft = await get_draft(session, admin_id=admin_id, chat_id=chat_id)
    if draft is None:
        draft = Draft(admin_id=admin_id, chat_id=chat_id)
        session.add(draft)
    draft.step, draft.kind, draft.case_id, draft.data = step, kind, case_id, data or {}
    await session.flush()
    return draft


async def discard(session: AsyncSession, draft: Draft) -> None:
    """Delete a draft."""
    await session.delete(draft)
    await session.flush()


async def delete_drafts_of(session: AsyncSession, admin_id: int) -> bool:
    """Delete every draft a person was writing; return whether there was one."""
    result = await session.execute(delete(Draft).where(Draft.admin_id == admin_id))
    return bool(getattr(result, "rowcount", 0))
