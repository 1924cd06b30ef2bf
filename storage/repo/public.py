"""What the public pages read: references by number or slug, and a stamp of what changed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Appeal, Case, Protest
from storage.repo.visibility import public_appeal, public_case


async def content_stamp(session: AsyncSession) -> str:
    """Return a stamp that changes whenever anything a public page shows changes: an appeal
    published, updated, withdrawn; a case's outcome; a protest counted."""
    appeals = (
        await session.execute(select(func.count(), func.max(Appeal.updated_at)).select_from(Appeal))
    ).one()
    cases = (await session.execute(select(func.max(Case.updated_at)).select_from(Case))).one()
    protests = await session.scalar(select(func.count()).select_from(Protest))
    return "-".join(str(part) for part in (*appeals, *cases, protests))


async def last_change(session: AsyncSession) -> datetime | None:
    """Return when a public appeal last changed (for Last-Modified)."""
    return await session.scalar(select(func.max(Appeal.updated_at)).where(public_appeal()))


async def public_appeal_ref(session: AsyncSession, reference: str) -> tuple[int, str] | None:
    """Return (id, slug) of the public appeal a number or a slug names."""
    if reference.isdigit() and len(reference) > 12:
        return None
    condition = Appeal.id == int(reference) if reference.isdigit() else Appeal.slug == reference
    row = (
        await session.execute(select(Appeal.id, Appeal.slug).where(condition, public_appeal()))
    ).first()
    return (row[0], row[1]) if row else None


async def public_case_ref(session: AsyncSession, reference: str) -> tuple[int, str] | None:
    """Return (id, slug) of the public case a number or a slug names."""
    if reference.isdigit() and len(reference) > 12:
        return None
    condition = Case.id == int(reference) if reference.isdigit() else Case.slug == reference
    row = (
        await session.execute(select(Case.id, Case.slug).where(condition, public_case(Case.id)))
    ).first()
    return (row[0], row[1]) if row else None
