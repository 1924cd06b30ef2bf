"""Followed feeds and the items seen in them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.enums import ItemOutcome, SourceState
from storage.models import Source, SourceItem


async def list_sources(session: AsyncSession) -> Sequence[Source]:
    """Return every source, oldest first."""
    return (await session.scalars(select(Source).order_by(Source.id))).all()


async def source_by_url(session: AsyncSession, url: str) -> Source | None:
    """Return the source added with this address."""
    return await session.scalar(select(Source).where(Source.url == url))


async def active_sources(session: AsyncSession) -> Sequence[Source]:
    """Return the sources to poll."""
    return (
        await session.scalars(
            select(Source).where(Source.state == SourceState.ACTIVE).order_by(Source.id)
        )
    ).all()


async def seen_keys(session: AsyncSession, source_id: int, keys: Sequence[str]) -> set[str]:
    """Return which of these item keys a source has had before."""
    if not keys:
        return set()
    found = await session.scalars(
        select(SourceItem.key).where(SourceItem.source_id == source_id, SourceItem.key.in_(keys))
    )
    return set(found.all())


async def drafted_fingerprint(session: AsyncSession, fingerprint: str) -> int | None:
    """Return the draft already made from an item with this fingerprint (any source)."""
    return await session.scalar(
        select(SourceItem.appeal_id).where(
            SourceItem.fingerprint == fingerprint, SourceItem.outcome == ItemOutcome.DRAFT
        )
    )
