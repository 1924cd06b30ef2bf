"""How old an appeal is, in the words that matter to someone about to write a letter.

An appeal is open (action is wanted), past its deadline, or archived: without a deadline
and with nothing new (its own date, or its latest update) for longer than the archive age,
or about cases that are all resolved (an outcome itself is news, not archived for that).
Only open appeals are urgent, pushed or offered without a warning. Defined once, here, so
that every reply, email and broadcast agrees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, tzinfo
from enum import StrEnum

from core.timing import Clock, country_zone, system_clock
from storage.enums import AppealKind, CaseStatus, DatePrecision
from storage.records import AppealBrief, AppealRecord, CaseRecord


class Standing(StrEnum):
    OPEN = "open"
    PAST_DEADLINE = "past_deadline"
    ARCHIVED = "archived"


@dataclass(frozen=True, slots=True)
class Age:
    """Where an appeal stands today."""

    standing: Standing
    issued_on: date | None
    precision: DatePrecision
    deadline: date | None
    days_left: int | None  # until the deadline, for an open appeal that has one
    resolved: bool  # every case it is about has an outcome

    @property
    def is_open(self) -> bool:
        """Tell whether action is still wanted."""
        return self.standing is Standing.OPEN

    @classmethod
    def fresh(cls, *, today: date, deadline: date | None = None) -> Age:
        """Return the age of an appeal being written now (a draft, a preview)."""
        left = (deadline - today).days if deadline else None
        return cls(Standing.OPEN, today, DatePrecision.DAY, deadline, left, resolved=False)


def _months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover: every month has 28 days


def _last_day(issued: date | None, precision: DatePrecision) -> date | None:
    """Return the last day a date can mean ("May 2011": 31 May)."""
    if issued is None or precision is DatePrecision.DAY:
        return issued
    if precision is DatePrecision.YEAR:
        return date(issued.year, 12, 31)
    following = date(issued.year + issued.month // 12, issued.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


@dataclass(frozen=True, slots=True)
class AgePolicy:
    """When appeals go past their deadline or into the archive."""

    archive_after_months: int = 6
    clock: Clock = field(default=system_clock)

    def today(self, zone: tzinfo | None = None) -> date:
        """Return today's date (where ``zone`` is; else in UTC)."""
        return self.clock().astimezone(zone or UTC).date()

    def archive_before(self) -> date:
        """Return the day before which an appeal without news is archived."""
        return _months_before(self.today(), self.archive_after_months)

    def of(
        self,
        appeal: AppealBrief,
        *,
        followed_up: date | None = None,
        cases: Sequence[CaseRecord] | None = None,
    ) -> Age:
        """Return where an appeal stands: ``followed_up`` is the date of its newest update;
        ``cases`` (else a whole appeal's own) tell whether all are resolved."""
        if cases is None and isinstance(appeal, AppealRecord):
            cases = appeal.cases
        resolved = bool(cases) and all(case.status is not CaseStatus.OPEN for case in cases or ())
        # A deadline ends at midnight where the case is: that is where the letters are read.
        zone = country_zone(cases[0].country) if cases else None
        return self.of_dates(
            issued_on=appeal.issued_on,
            precision=appeal.issued_precision,
            deadline=appeal.deadline,
            kind=appeal.kind,
            followed_up=followed_up,
            resolved=resolved,
            zone=zone,
        )

    def of_dates(
        self,
        *,
        issued_on: date | None,
        precision: DatePrecision,
        deadline: date | None,
        kind: AppealKind,
        followed_up: date | None,
        resolved: bool,
        zone: tzinfo | None = None,
    ) -> Age:
        """Return where an appeal stands, from its dates alone."""
        today = self.today(zone)
        last = max(
            (day for day in (_last_day(issued_on, precision), followed_up) if day), default=None
        )
        if deadline is not None and deadline < today:
            standing = Standing.PAST_DEADLINE
        elif (resolved and kind is not AppealKind.OUTCOME) or (
            deadline is None and last is not None and last < self.archive_before()
        ):
            standing = Standing.ARCHIVED
        else:
            standing = Standing.OPEN
        days_left = (deadline - today).days if deadline and standing is Standing.OPEN else None
        return Age(
            standing=standing,
            issued_on=issued_on,
            precision=precision,
            deadline=deadline,
            days_left=days_left,
            resolved=resolved,
        )
