"""Numbers people and buttons hand us as ids, read with their ranges checked."""

from __future__ import annotations

import re

MAX_ROW_ID = 2**31 - 1  # our row ids are 32-bit integers
# Telegram user ids are positive and have at most 52 significant bits.
MAX_USER_ID = 2**52 - 1
_DIGITS = re.compile(r"^[0-9]{1,16}$")


def parse_row_id(text: str, *, zero: bool = False) -> int | None:
    """Read the id of a case, appeal or other row: digits only, in range (else None)."""
    if not _DIGITS.match(text):
        return None
    value = int(text)
    return value if (zero or value >= 1) and value <= MAX_ROW_ID else None


def parse_user_id(text: str) -> int | None:
    """Read a Telegram user id: a positive number (None when the text is not one)."""
    text = text.strip()
    if not _DIGITS.match(text):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_USER_ID else None
