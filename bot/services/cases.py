"""Case summaries: the case, its appeals as a timeline, the protests counted."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.lookup import CaseIndex, Hit, Lookup
from storage.models import Appeal, Case
from storage.repo.appeals import timeline_for_case
from storage.repo.cases import count_open_cases, get_case_figures, get_cases, list_open_cases


@dataclass(frozen=True, slots=True)
class CaseView:
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

    @property
    def aliases(self) -> list[str]:
        """Return the other ways the name is written."""
        return [name.name for name in self.case.names if name.name != self.case.name]

    @property
    def latest(self) -> Appeal | None:
        """Return the newest published appeal about the case."""
        return self.appeals[-1] if self.appeals else None


@dataclass(frozen=True, slots=True)
class NamedHit:
    """A lookup hit with the case's main name, for pick lists."""

    case_id: int
    case_name: str
    name: str


async def case_view(session: AsyncSession, case_id: int, *, chat_id: int | None) -> CaseView | None:
    """Load everything the case summary shows, in two queries (None if it is not public)."""
    figures = await get_case_figures(session, case_id, chat_id=chat_id)
    if figures is None:
        return None
    return CaseView(
        case=figures.case,
        appeals=await timeline_for_case(session, case_id),
        protests=figures.protests,
        following=figures.following,
    )


async def find_cases(
    session: AsyncSession, index: CaseIndex, query: str, *, public: bool = True
) -> Lookup:
    """Look a case up by what someone typed (``public``: among the cases the public sees)."""
    await index.refresh(session)
    return index.find(query, public=public)


async def named_hits(session: AsyncSession, hits: tuple[Hit, ...]) -> list[NamedHit]:
    """Attach each hit's main case name."""
    cases = {case.id: case for case in await get_cases(session, [hit.case_id for hit in hits])}
    return [
        NamedHit(case_id=hit.case_id, case_name=cases[hit.case_id].name, name=hit.name)
        for hit in hits
        if hit.case_id in cases
    ]


async def open_cases(session: AsyncSession, *, limit: int = 20) -> tuple[list[Case], int]:
    """Return the most recent open cases and how many are open in all."""
    return await list_open_cases(session, limit=limit), await count_open_cases(session)
