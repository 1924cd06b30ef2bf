"""What a user typed, read as a case or an appeal: found, choose one of these, or nothing.

Every command that takes a case or an appeal (/case, /contacts, /letter, deep links, the
admins' /update, /outcome and /withdraw) reads its argument here, so they all understand the
same spellings, numbers and slugs, and all answer a miss the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.services.case_index import MAX_QUERY_LENGTH, CaseIndex, Hit
from core.ids import parse_row_id
from storage.database import Database
from storage.enums import AppealStatus
from storage.repo.appeals import get_appeal_status, get_appeal_status_by_slug
from storage.repo.cases import get_case_ref_by_slug, get_cases, is_public_case

_APPEAL_REFERENCE = re.compile(r"^(?:appeal[_ ]?|#)?([0-9]{1,10})$", re.IGNORECASE)
# Single words are read as names: the index knows them, without a trip to the database.
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")


class Meant(StrEnum):
    CASE = "case"  # one case: case_id, case_name
    APPEAL = "appeal"  # one appeal: appeal_id
    CHOOSE = "choose"  # several cases might be meant: choices
    NOTHING = "nothing"  # nothing matches
    WITHDRAWN = "withdrawn"  # the appeal meant was withdrawn
    TOO_LONG = "too_long"  # longer than any name


@dataclass(frozen=True, slots=True)
class Choice:
    """A case that might be meant, with the spelling that matched."""

    case_id: int
    case_name: str
    matched: str


@dataclass(frozen=True, slots=True)
class Resolution:
    query: str
    found: Meant
    case_id: int | None = None
    case_name: str | None = None
    appeal_id: int | None = None
    choices: tuple[Choice, ...] = ()
    as_appeal: bool = False  # read as an appeal's number or slug


class Resolver:
    """Read references to cases and appeals; ``public`` limits them to what the public sees."""

    def __init__(self, db: Database, index: CaseIndex) -> None:
        self._db = db
        self._index = index

    async def case(self, text: str, *, public: bool = True) -> Resolution:
        """Read a case by any of its names (typos forgiven), its slug, or its number."""
        query = " ".join(text.split())
        if len(query) > MAX_QUERY_LENGTH:
            return Resolution(query, Meant.TOO_LONG)
        if not query:
            return Resolution(query, Meant.NOTHING)
        number = parse_row_id(query)
        if number is not None or _SLUG.match(query):
            async with self._db.read() as session:
                by_slug = await get_case_ref_by_slug(session, query) if number is None else None
                if by_slug is None and number is not None:
                    found = await get_cases(session, [number])
                    by_slug = (found[0].id, found[0].name) if found else None
                if by_slug is not None:
                    if public and not await is_public_case(session, by_slug[0]):
                        return Resolution(query, Meant.NOTHING)
                    return Resolution(query, Meant.CASE, case_id=by_slug[0], case_name=by_slug[1])
        await self._refresh()
        lookup = self._index.find(query, public=public)
        if lookup.best is not None:
            best = self._choices((lookup.best,))
            if best:
                return Resolution(
                    query, Meant.CASE, case_id=best[0].case_id, case_name=best[0].case_name
                )
        choices = self._choices(lookup.candidates)
        if not choices:
            return Resolution(query, Meant.NOTHING)
        return Resolution(query, Meant.CHOOSE, choices=tuple(choices))

    async def appeal(self, text: str, *, public: bool = True) -> Resolution:
        """Read an appeal by its number (12, #12, appeal_12) or slug."""
        query = text.strip()
        if len(query) > MAX_QUERY_LENGTH:
            return Resolution(query, Meant.TOO_LONG)
        reference = _APPEAL_REFERENCE.match(query)
        async with self._db.read() as session:
            if reference:
                appeal_id = parse_row_id(reference.group(1))
                status = await get_appeal_status(session, appeal_id) if appeal_id else None
            elif _SLUG.match(query.lower()):
                found = await get_appeal_status_by_slug(session, query.lower())
                appeal_id, status = found if found else (None, None)
            else:
                appeal_id, status = None, None
        as_appeal = reference is not None
        if appeal_id is None or status is None:
            return Resolution(query, Meant.NOTHING, as_appeal=as_appeal)
        if public and status is AppealStatus.WITHDRAWN:
            return Resolution(query, Meant.WITHDRAWN, appeal_id=appeal_id, as_appeal=True)
        if public and status is not AppealStatus.PUBLISHED:
            return Resolution(query, Meant.NOTHING, as_appeal=as_appeal)
        return Resolution(query, Meant.APPEAL, appeal_id=appeal_id, as_appeal=True)

    async def case_or_appeal(self, text: str) -> Resolution:
        """Read an appeal's number (12, #12) or slug if it is one, else a case's name."""
        appeal = await self.appeal(text)
        if appeal.found is not Meant.NOTHING or appeal.as_appeal:
            return appeal
        return await self.case(text)

    async def mentioned(self, text: str) -> list[Choice]:
        """Return up to three public cases a free text seems to name (for a hint)."""
        if not 0 < len(text) <= MAX_QUERY_LENGTH:
            return []
        await self._refresh()
        return self._choices(self._index.find(text).candidates[:3])

    async def _refresh(self) -> None:
        if self._index.due:
            async with self._db.read() as session:
                await self._index.refresh(session)

    def _choices(self, hits: tuple[Hit, ...]) -> list[Choice]:
        return [
            Choice(case_id=hit.case_id, case_name=title, matched=hit.name)
            for hit in hits
            if (title := self._index.title(hit.case_id)) is not None
        ]
