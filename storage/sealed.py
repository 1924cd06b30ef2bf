"""Addresses as the database holds them: sealed, and found by a keyed hash.

The sealer travels with the session (its ``info``, set by the session factory of the
``Database`` that owns it), so that every query that stores or finds an address seals it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from core.sealing import Sealer

SEALER = "appealbot_sealer"


def sealer_of(session: AsyncSession) -> Sealer:
    """Return the sealer of the database this session belongs to."""
    sealer = session.info.get(SEALER)
    if not isinstance(sealer, Sealer):
        raise RuntimeError("this session has no sealer: open it through storage.Database")
    return sealer


def sealed_columns(session: AsyncSession, channel: str, address: str | None) -> dict[str, Any]:
    """Return the column values that store an address for a channel (all None for none)."""
    if address is None:
        return {"address_sealed": None, "address_hash": None, "sealed_with": None}
    sealed = sealer_of(session).seal(channel, address)
    return {
        "address_sealed": sealed.sealed,
        "address_hash": sealed.lookup,
        "sealed_with": sealed.key_id,
    }


def found_at(
    session: AsyncSession,
    channel_column: InstrumentedAttribute[str],
    hash_column: InstrumentedAttribute[str | None],
    channel: str,
    address: str,
) -> ColumnElement[bool]:
    """Return the condition that finds an address (by its hash under every key in force)."""
    hashes = sealer_of(session).lookups(channel, address)
    return and_(channel_column == channel, hash_column.in_(hashes))


def opened(session: AsyncSession, channel: str, sealed: bytes | None) -> str | None:
    """Return the address a stored value holds (None: none, or its key was destroyed)."""
    return sealer_of(session).open(channel, sealed)
