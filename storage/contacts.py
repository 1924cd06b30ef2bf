"""Normalise the contacts appeals give: emails, phone and fax numbers."""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

DEFAULT_REGION = "KZ"
_LEADING_PLUSES = re.compile(r"^\s*\+{2,}")


def normalize_email(value: str) -> str:
    """Return the address in canonical form, or raise ValueError saying what is wrong."""
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{value!r} is not a valid email address: {exc}") from None
    return result.normalized


def normalize_phone(value: str, *, region: str = DEFAULT_REGION) -> str:
    """Return the number in E.164 form (+77272715802), or raise ValueError.

    Appeals write numbers as ``++7727 2715802`` or ``8 (727) 271 58 02``; both are read.
    """
    cleaned = _LEADING_PLUSES.sub("+", value)
    try:
        number = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{value!r} is not a phone number: {exc}") from None
    if not phonenumbers.is_possible_number(number):
        raise ValueError(f"{value!r} has the wrong number of digits for a phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
