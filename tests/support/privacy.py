"""Privacy test helpers: look for a person in every table and in the database's files."""

from __future__ import annotations

import base64
import struct
from pathlib import Path

from sqlalchemy import select

from storage.models import Base
from tests.support.bot import sessions_for
from tests.support.keys import TEST_SEALER


async def rows_naming(url: str, needles: list[int | str]) -> list[tuple[str, str]]:
    """Return (table, value) for every stored value that is, or holds, one of the needles;
    a sealed address counts as what it opens to with the tests' key."""
    found = []
    async with sessions_for(url) as sessions, sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings().all():
                values: list[object] = list(row.values())
                if row.get("address_sealed") is not None:
                    values.append(TEST_SEALER.open(row["channel"], row["address_sealed"]))
                for value in values:
                    for needle in needles:
                        if value == needle or (
                            value is not None and str(needle).lower() in str(value).lower()
                        ):
                            found.append((table.name, str(value)))
    return found


async def sealed_naming(url: str, needles: list[int | str]) -> list[bytes]:
    """Return the sealed values that open to one of the needles."""
    wanted = {str(needle).lower() for needle in needles}
    found = []
    async with sessions_for(url) as sessions, sessions() as session:
        for table in Base.metadata.sorted_tables:
            if "address_sealed" not in table.c:
                continue
            for channel, sealed in await session.execute(
                select(table.c.channel, table.c.address_sealed)
            ):
                opened = TEST_SEALER.open(channel, sealed)
                if opened is not None and opened.lower() in wanted:
                    found.append(bytes(sealed))
    return found


def encodings(needle: int | str) -> list[bytes]:
    """Return the ways a value may lie on disk: its text in UTF-8 and UTF-16 (either order),
    lower-cased, in hex and base64; an integer also big- and little-endian."""
    text = str(needle)
    forms = {text, text.lower(), text.encode().hex(), base64.b64encode(text.encode()).decode()}
    found = [form.encode() for form in forms]
    found += [
        form.encode(codec) for form in (text, text.lower()) for codec in ("utf-16-le", "utf-16-be")
    ]
    if isinstance(needle, int):
        found += [struct.pack(">q", needle), struct.pack("<q", needle), f"{needle:x}".encode()]
        if -(2**31) <= needle < 2**31:
            found += [struct.pack(">i", needle), struct.pack("<i", needle)]
    return found


def files_of(database: Path) -> list[Path]:
    """Return a SQLite database's files: itself, its write-ahead log and its shared memory."""
    names = (database.name, database.name + "-wal", database.name + "-shm")
    return [database.with_name(name) for name in names if database.with_name(name).exists()]


def file_mentions(database: Path, needles: list[int | str], *more: Path) -> list[str]:
    """Return which needles are somewhere in the database's files (and in ``more``)."""
    data = b"".join(path.read_bytes() for path in (*files_of(database), *more))
    return [str(n) for n in needles if any(form in data for form in encodings(n))]


def file_holds(database: Path, value: bytes) -> bool:
    """Tell whether these bytes are somewhere in the database's files."""
    return any(value in path.read_bytes() for path in files_of(database))
