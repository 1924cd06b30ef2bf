"""Followed feeds and the items seen in them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.enums import ItemOutcome, SourceState
from storage.models import Case, Source, SourceItem


async def list_sources(session: AsyncSession) -> Sequence[Source]:
    """Return every source, oldest first."""
    return (await session.scalars(select(Source).order_by(Source.id))).all()


async def source_by_url(session: AsyncSession, url: str) -> Source | None:
    """Return the source added with this address, or whose feed is at it."""
    return await session.scalar(
        select(Source).where((Source.url == url) | (Source.feed_url == url)).limit(1)
    )


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


# What became a draft, whatever an admin did with it since: seen again, it is no new draft.
DRAFTED = (ItemOutcome.DRAFT, ItemOutcome.TAKEN, ItemOutcome.DISCARDED)


async def drafted_fingerprint(session: AsyncSession, fingerprint: str) -> int | None:
    """Return the item already drafted with this fingerprint (from any source)."""
    return await session.scalar(
        select(SourceItem.id)
        .where(SourceItem.fingerprint == fingerprint, SourceItem.outcome.in_(DRAFTED))
        .limit(1)
    )


@dataclass(frozen=True, slots=True)
class DraftForReview:
    """A draft a source made, as an admin's review shows it (``data``: None once taken)."""

    item_id: int
    data: dict[str, Any] | None
    source: str  # the feed's title, else its address
    case_name: str | None  # the known case it updates


async def draft_for_review(session: AsyncSession, item_id: int) -> DraftForReview | None:
    """Return a source's draft with its source's name and the case it would update."""
    row = (
        await session.execute(
            select(SourceItem.data, Source.title, Source.url, Case.name)
            .join(Source, Source.id == SourceItem.source_id)
            .outerjoin(Case, Case.id == SourceItem.case_id)
            .where(SourceItem.id == item_id)
        )
    ).one_or_none()
    if row is None:
        return None
    data, title, url, case_name = row
    return DraftForReview(item_id, data, title or url, case_name)


async def settle_draft(
    session: AsyncSession, item_id: int, outcome: ItemOutcome
) -> tuple[dict[str, Any], int | None] | None:
    """Mark a waiting draft taken or discarded, once: return its data and case, or None if
    it is not waiting (any more): two admins tapping at once settle it once."""
    row = (
        await session.execute(
            select(SourceItem.data, SourceItem.case_id).where(
                SourceItem.id == item_id, SourceItem.outcome == ItemOutcome.DRAFT
            )
        )
    ).one_or_none()
    if row is None or row[0] is None:
        return None
    result = await session.execute(
        update(SourceItem)
        .where(SourceItem.id == item_id, SourceItem.outcome == ItemOutcome.DRAFT)
        .values(outcome=outcome, data=None)
    )
    if getattr(result, "rowcount", 0) != 1:
        return None
    return row[0], row[1]


async def source_trouble(session: AsyncSession, source_id: int) -> tuple[int, str, str] | None:
    """Return a source's number, feed address and what is wrong with it (None: nothing)."""
    source = await session.get(Source, source_id)
    if source is None or not source.error:
        return None
    return source.id, source.feed_url, source.error
