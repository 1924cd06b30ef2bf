"""Appeals for readers: pages of the latest (open ones first), one appeal, protests counted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from bot.services.actors import Actor
from core.errors import NotFoundError
from core.pseudonyms import Pseudonyms
from storage.database import Database
from storage.enums import AppealKind, AppealStatus, TargetKind
from storage.models import Appeal
from storage.records import AppealBrief, AppealRecord, appeal_record
from storage.repo.appeals import (
    AppealDates,
    appeals_for_case,
    get_appeal,
    get_appeals,
    latest_followups,
    list_appeals,
    public_appeal_dates,
)
from storage.repo.audit import log_action
from storage.repo.protests import count_for_appeal, record_action
from storage.repo.visibility import is_public_appeal
from storage.standing import Age, AgePolicy, Standing
from templates.i18n import N_

PAGE_SIZE = 5
_ORDER = {Standing.OPEN: 0, Standing.PAST_DEADLINE: 1, Standing.ARCHIVED: 2}


A = TypeVar("A", bound=AppealBrief)


@dataclass(frozen=True, slots=True)
class Aged(Generic[A]):
    """An appeal (whole, or as a timeline shows it) with where it stands today."""

    appeal: A
    age: Age


# An appeal loaded whole, as lists, pages and letters show it.
AgedAppeal = Aged[AppealRecord]


@dataclass(frozen=True, slots=True)
class AppealsPage:
    appeals: list[AgedAppeal]
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

    appeal: AppealRecord
    protests: int
    age: Age


@dataclass(frozen=True, slots=True)
class Protest:
    """A tap on "I sent a protest": counted now, counted before, or no appeal to count."""

    counted: bool | None
    total: int
    closed: bool = False  # the appeal no longer asks for action: nothing was counted


class AppealService:
    """Read public appeals; count protests."""

    def __init__(self, db: Database, *, ages: AgePolicy, pseudonyms: Pseudonyms) -> None:
        self._db = db
        self._ages = ages
        self._pseudonyms = pseudonyms

    def _age(self, row: AppealDates) -> Age:
        """Return where an appeal stands, from its dates as a listing reads them."""
        return self._ages.of_dates(
            issued_on=row.issued_on,
            precision=row.precision,
            deadline=row.deadline,
            kind=row.kind,
            followed_up=row.followed_up,
            resolved=row.resolved,
        )

    async def page(self, *, offset: int) -> AppealsPage:
        """Return one page of public appeals: open ones first, each group newest first."""
        async with self._db.read() as session:
            rows = await public_appeal_dates(session)
            ages = {row.id: self._age(row) for row in rows}
            rows.sort(
                key=lambda row: (
                    _ORDER[ages[row.id].standing],
                    _newest_first(row.issued_on),
                    -row.id,
                )
            )
            total = len(rows)
            offset = max(0, min(offset, max(0, total - 1) // PAGE_SIZE * PAGE_SIZE))
            ids = [row.id for row in rows[offset : offset + PAGE_SIZE]]
            appeals = [appeal_record(appeal) for appeal in await get_appeals(session, ids)]
        return AppealsPage(
            appeals=[Aged(appeal, ages[appeal.id]) for appeal in appeals],
            offset=offset,
            total=total,
        )

    async def open_ids(self) -> list[int]:
        """Return the public appeals still open (action wanted now), oldest first."""
        async with self._db.read() as session:
            rows = await public_appeal_dates(session)
        found = [
            row for row in rows if row.kind is not AppealKind.OUTCOME and self._age(row).is_open
        ]
        found.sort(key=lambda row: (-_newest_first(row.issued_on), row.id))
        return [row.id for row in found]

    async def listing(self, *, everything: bool = False) -> list[AgedAppeal]:
        """Return the public appeals newest first (``everything``: drafts and withdrawn too)."""
        statuses = tuple(AppealStatus) if everything else None
        async with self._db.read() as session:
            rows = await list_appeals(session, statuses=statuses)
            appeals = [appeal_record(row) for row in rows]
            followups = await latest_followups(session, [appeal.id for appeal in appeals])
        return [Aged(a, self._ages.of(a, followed_up=followups.get(a.id))) for a in appeals]

    async def show(self, appeal_id: int) -> AppealShown | None:
        """Return a public appeal in full (None if the public may not see it)."""
        async with self._db.read() as session:
            row = await get_appeal(session, appeal_id)
            if row is None or not is_public_appeal(row):
                return None
            followups = await latest_followups(session, [appeal_id])
            appeal = appeal_record(row)
            return AppealShown(
                appeal,
                await count_for_appeal(session, appeal_id),
                self._ages.of(appeal, followed_up=followups.get(appeal_id)),
            )

    async def for_case(self, case_id: int) -> AgedAppeal | None:
        """Return the appeal whose targets a reader about this case should write to: of
        those that name someone to write to, open ones first, then those with a demand of
        this case's own, then the newest."""
        async with self._db.read() as session:
            appeals = [appeal_record(row) for row in await appeals_for_case(session, case_id)]
            followups = await latest_followups(session, [appeal.id for appeal in appeals])
        dated = [Aged(a, self._ages.of(a, followed_up=followups.get(a.id))) for a in appeals]
        writable = [item for item in dated if _names_someone(item.appeal)] or dated
        if not writable:
            return None
        return max(
            writable,
            key=lambda item: (
                item.age.is_open,
                any(demand.case_id == case_id for demand in item.appeal.demands),
                item.appeal.issued_on or date.min,
                item.appeal.id,
            ),
        )

    async def protest(self, appeal_id: int, *, user_id: int, case_id: int | None) -> Protest:
        """Count "I sent a protest" once per person and public appeal."""
        return await self._count(appeal_id, self._pseudonyms.protest(user_id, appeal_id), case_id)

    async def protest_from_browser(self, appeal_id: int, *, browser: str) -> Protest:
        """Count "I sent a protest" from an appeal's page, once per browser (``browser``: a
        random value the browser keeps)."""
        taker = self._pseudonyms.browser_protest(browser, appeal_id)
        return await self._count(appeal_id, taker, None)

    async def _count(self, appeal_id: int, taker: str, case_id: int | None) -> Protest:
        async with self._db.unit() as unit:
            row = await get_appeal(unit.session, appeal_id)
            if row is None or not is_public_appeal(row):
                return Protest(None, 0)
            appeal = appeal_record(row)
            followups = await latest_followups(unit.session, [appeal_id])
            age = self._ages.of(appeal, followed_up=followups.get(appeal_id))
            if age.standing is Standing.ARCHIVED:
                return Protest(None, await count_for_appeal(unit.session, appeal_id), closed=True)
            known = case_id if any(case.id == case_id for case in appeal.cases) else None
            counted = await record_action(
                unit.session,
                appeal_id=appeal_id,
                taker=taker,
                case_id=known,
            )
            return Protest(counted, await count_for_appeal(unit.session, appeal_id))

    async def set_reminders(self, appeal_id: int, *, on: bool, actor: Actor) -> bool:
        """Switch the court-date reminders of an appeal on or off; return the new setting."""
        async with self._db.unit() as unit:
            appeal = await unit.session.get(Appeal, appeal_id)
            if appeal is None or appeal.status is AppealStatus.WITHDRAWN:
                raise NotFoundError(N_("There is no appeal %(id)s."), id=appeal_id)
            appeal.reminders = on
            await log_action(
                unit.session,
                actor=actor.label,
                actor_id=actor.user_id,
                action="reminders on" if on else "reminders off",
                subject=f"appeal:{appeal_id}",
                detail={},
            )
            return on


def _newest_first(day: date | None) -> int:
    return -(day or date.min).toordinal()


def _names_someone(appeal: AppealRecord) -> bool:
    """Tell whether an appeal names anyone to protest to (not only where to send copies)."""
    return any(link.kind is not TargetKind.COPY_TO for link in appeal.targets)
