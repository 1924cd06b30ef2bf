"""Readable, unique slugs for appeals, cases and targets."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.names import search_key


def slugify(text: str, *, limit: int = 60) -> str:
    """Return a lower-case Latin slug for any text (Cyrillic is transliterated)."""
    slug = "-".join(search_key(text).split())[:limit].strip("-")
    return slug or "item"


async def unique_slug(
    session: AsyncSession, column: InstrumentedAttribute[str], base: str, *, limit: int = 80
) -> str:
    """Return ``base``, or ``base-2``, ``base-3`` … whichever is still free in ``column``."""
    base = base[: limit - 4].strip("-")
    taken = set((await session.scalars(select(column).where(column.like(f"{base}%")))).all())
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"
