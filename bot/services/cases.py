"""Cases for readers: a case with what happened when, its appeals, the open cases."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.appeals import Aged
from storage.database import Database
from storage.records import AppealBrief, CaseRecord, appeal_brief, case_record
from storage.repo.appeals import CaseEvent, appeals_for_case, events_for_case, latest_followups
from storage.repo.cases import count_open_cases, get_case_figures, list_open_cases
from storage.standing import AgePolicy


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """A public case with what its page shows."""

    case: CaseRecord
    appeals: list[Aged[AppealBrief]]  # by publication date, oldest first
    events: list[CaseEvent]  # by date
    protests: int
    following: bool | None

    @property
    def summary(self) -> str | None:
        """Return the case's own summary, else that of its newest public appeal."""
        if self.case.summary:
            return self.case.summary
        return self.appeals[-1].appeal.summary if self.appeals else None

    @property
    def latest(self) -> Aged[AppealBrief] | None:
        """Return the newest appeal about the case."""
        return self.appeals[-1] if self.appeals else None


class CaseService:
    """Read cases the public may see."""

    def __init__(self, db: Database, *, ages: AgePolicy, chats_on: str) -> None:
        self._chats = chats_on  # the channel whose chats talk to the bot
        self._db = db
        self._ages = ages

    async def summary(self, case_id: int, *, chat_id: int | None) -> CaseSummary | None:
        """Load a case's page (None if it is not public)."""
        async with self._db.read() as session:
            reader = (self._chats, str(chat_id)) if chat_id is not None else None
            figures = await get_case_figures(session, case_id, reader=reader)
            if figures is None:
                return None
            rows = await appeals_for_case(session, case_id, whole=False)
            appeals = [appeal_brief(row) for row in rows]
            followups = await latest_followups(session, [appeal.id for appeal in appeals])
            events = await events_for_case(session, case_id)
        case = case_record(figures.case)
        return CaseSummary(
            case=case,
            appeals=[
                Aged(a, self._ages.of(a, followed_up=followups.get(a.id), cases=[case]))
                for a in appeals
            ],
            events=events,
            protests=figures.protests,
            following=figures.following,
        )

    async def open_cases(self, *, limit: int = 20) -> tuple[list[CaseRecord], int]:
        """Return the most recent open cases and how many are open in all."""
        async with self._db.read() as session:
            cases = await list_open_cases(session, limit=limit)
            return [case_record(case) for case in cases], await count_open_cases(session)
