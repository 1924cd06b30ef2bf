"""Cases for readers: a case summary with its appeals, the open cases, following."""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Database
from storage.models import Appeal, Case
from storage.repo.appeals import timeline_for_case
from storage.repo.cases import count_open_cases, get_case_figures, list_open_cases


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """A public case with what its summary shows."""

    case: Case
    appeals: list[Appeal]
    protests: int
    following: bool | None

    @property
    def summary(self) -> str | None:
        """Return the case's own summary, else that of its newest public appeal."""
        if self.case.summary:
            return self.case.summary
        return self.appeals[-1].summary if self.appeals else None


class CaseService:
    """Read cases the public may see."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def summary(self, case_id: int, *, chat_id: int | None) -> CaseSummary | None:
        """Load a case's summary, in two queries (None if it is not public)."""
        async with self._db.read() as session:
            figures = await get_case_figures(session, case_id, chat_id=chat_id)
            if figures is None:
                return None
            return CaseSummary(
                case=figures.case,
                appeals=await timeline_for_case(session, case_id),
                protests=figures.protests,
                following=figures.following,
            )

    async def open_cases(self, *, limit: int = 20) -> tuple[list[Case], int]:
        """Return the most recent open cases and how many are open in all."""
        async with self._db.read() as session:
            return await list_open_cases(session, limit=limit), await count_open_cases(session)
