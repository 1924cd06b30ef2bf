"""Appeals for readers: pages of the latest, one appeal, its protests counted."""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Database
from storage.enums import AppealStatus
from storage.models import Appeal
from storage.repo.actions import count_for_appeal, record_action
from storage.repo.appeals import appeals_for_case, count_public, get_appeal, list_appeals
from storage.repo.visibility import is_public_appeal

PAGE_SIZE = 5


@dataclass(frozen=True, slots=True)
class AppealsPage:
    appeals: list[Appeal]
    offset: int
    total: int

    @property
    def has_newer(self) -> bool:
        """Tell whether there is a page before this one."""
        return self.offset > 0

    @property
    def has_older(self) -> bool:
        """Tell whether there is a page after this one."""
        return self.offset + len(self.appeals) < self.total


@dataclass(frozen=True, slots=True)
class AppealShown:
    """A public appeal, with how many said they protested about it."""

    appeal: Appeal
    protests: int


@dataclass(frozen=True, slots=True)
class Protest:
    """A tap on "I sent a protest": counted now, counted before, or no appeal to count."""

    counted: bool | None
    total: int


class AppealService:
    """Read public appeals; count protests."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def page(self, *, offset: int) -> AppealsPage:
        """Return one page of public appeals, newest first."""
        async with self._db.read() as session:
            total = await count_public(session)
            offset = max(0, min(offset, max(0, total - 1) // PAGE_SIZE * PAGE_SIZE))
            appeals = await list_appeals(session, limit=PAGE_SIZE, offset=offset)
        return AppealsPage(appeals=appeals, offset=offset, total=total)

    async def listing(self, *, everything: bool = False) -> list[Appeal]:
        """Return the public appeals newest first (``everything``: drafts and withdrawn too)."""
        statuses = tuple(AppealStatus) if everything else None
        async with self._db.read() as session:
            return await list_appeals(session, statuses=statuses)

    async def show(self, appeal_id: int) -> AppealShown | None:
        """Return a public appeal in full (None if the public may not see it)."""
        async with self._db.read() as session:
            appeal = await get_appeal(session, appeal_id)
            if appeal is None or not is_public_appeal(appeal):
                return None
            return AppealShown(appeal, await count_for_appeal(session, appeal_id))

    async def for_case(self, case_id: int) -> Appeal | None:
        """Return the newest public appeal about a case that names someone to write to."""
        async with self._db.read() as session:
            appeals = await appeals_for_case(session, case_id)
        with_targets = [appeal for appeal in appeals if appeal.targets]
        if with_targets:
            return with_targets[-1]
        return appeals[-1] if appeals else None

    async def protest(self, appeal_id: int, *, user_id: int, case_id: int | None) -> Protest:
        """Count "I sent a protest" once per person and public appeal."""
        async with self._db.unit() as unit:
            appeal = await get_appeal(unit.session, appeal_id)
            if appeal is None or not is_public_appeal(appeal):
                return Protest(None, 0)
            known = case_id if any(case.id == case_id for case in appeal.cases) else None
            counted = await record_action(
                unit.session, appeal_id=appeal_id, user_id=user_id, case_id=known
            )
            return Protest(counted, await count_for_appeal(unit.session, appeal_id))
