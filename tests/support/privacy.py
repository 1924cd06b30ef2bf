"""Privacy test helpers: look for a person in every table and in the database file."""

from __future__ import annotations

import struct
from pathlib import Path

from sqlalchemy import select

from storage.models import Base
from tests.support.bot import sessions_for


async def rows_naming(url: str, needles: list[int | str]) -> list[tuple[str, str]]:
    """Return (table, value) for every stored value that is, or holds, one of the needles."""
    found = []
    async with sessions_for(url) as sessions, sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                for value in row:
                    for needle in needles:
                        if value == needle or (
                            value is not None and str(needle).lower() in str(value).lower()
                        ):
                            found.append((table.name, str(value)))
    return found


def encodings(needle: int | str) -> list[bytes]:
    """Return the ways SQLite may hold a value on disk: text, and integers big-endian."""
    if isinstance(needle, str):
        return [needle.encode(), needle.lower().encode()]
    forms = [str(needle).encode(), struct.pack(">q", needle)]
    if -(2**31) <= needle < 2**31:
        forms.append(struct.pack(">i", needle))
    return forms


def file_mentions(database: Path, needles: list[int | str]) -> list[str]:
    """Return which needles are still somewhere in the database file (and its WAL)."""
    data = b"".join(
        path.read_bytes()
        for path in (database, database.with_name(database.name + "-wal"))
        if path.exists()
    )
    return [str(n) for n in needles if any(form in data for form in encodings(n))]
