"""Phone and fax numbers in a sentence with their kind, and where a line's first contact
starts (emails are read by ``spans.find_emails``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers

from bot.extract.office_words import FAX_WORD, PHONE_WORD
from storage.contacts import DEFAULT_REGION

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PLUSES = re.compile(r"\+{2,}")


class NumberKind(StrEnum):
    PHONE = "phone"
    FAX = "fax"


@dataclass(frozen=True, slots=True)
class Number:
    e164: str
    kind: NumberKind
    start: int
    end: int


def find_numbers(text: str, *, region: str = DEFAULT_REGION) -> list[Number]:
    """Return the phone and fax numbers in a text; the words before each say which it is.

    ``++7727 2715802`` (a doubled plus, common in appeals) is read as ``+7 727 271 5802``.
    """
    # Same length in and out, so that positions stay valid for the context search.
    prepared = _PLUSES.sub(lambda match: " " * (len(match.group(0)) - 1) + "+", text)
    numbers: list[Number] = []
    previous_end = 0
    matcher = phonenumbers.PhoneNumberMatcher(
        prepared, region, leniency=phonenumbers.Leniency.VALID
    )
    for match in matcher:
        context = prepared[previous_end : match.start]
        fax = [m.end() for m in FAX_WORD.finditer(context)]
        phone = [m.end() for m in PHONE_WORD.finditer(context)]
        if fax and (not phone or fax[-1] > phone[-1]):
            kind = NumberKind.FAX
        elif not fax and not phone and numbers:
            kind = numbers[-1].kind
        else:
            kind = NumberKind.PHONE
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        numbers.append(Number(e164=e164, kind=kind, start=match.start, end=match.end))
        previous_end = match.end
    return numbers


def first_contact_at(line: str) -> int | None:
    """Return where the first email or number in a line starts."""
    positions = [m.start() for m in _EMAIL.finditer(line)]
    positions += [number.start for number in find_numbers(line)]
    return min(positions) if positions else None
