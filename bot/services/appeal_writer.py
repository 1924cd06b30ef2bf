"""Writing an appeal from a draft's data: its cases (new ones created), its targets (known
ones found by a contact), its demands and events, as a draft appeal."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.extract.draft import CaseRef, DraftData
from bot.services.case_index import CaseIndex
from storage.database import Unit
from storage.enums import AppealKind, AppealStatus, TargetKind, Urgency
from storage.models import Appeal, Case, Target
from storage.repo.appeals import DemandSpec, EventSpec, NewAppeal, TargetLink, create_appeal
from storage.repo.cases import get_case, get_cases, upsert_case
from storage.repo.slugs import slugify, unique_slug
from storage.repo.targets import find_by_contact, upsert_target


class AppealWriter:
    """Store what a draft holds as a draft appeal (inside a caller's unit of work)."""

    def __init__(self, *, index: CaseIndex, today: Callable[[], date]) -> None:
        self._index = index
        self._today = today

    async def save(
        self,
        unit: Unit,
        data: DraftData,
        *,
        kind: AppealKind,
        urgency: Urgency,
        created_by: int | None,
        parent_id: int | None = None,
    ) -> Appeal:
        """Store a draft's data as a draft appeal, creating new cases and linking or adding
        targets."""
        session = unit.session
        day = data.issued_on or self._today()
        slug = await unique_slug(
            session, Appeal.slug, f"{day:%Y-%m-%d}-{slugify(data.title)}", limit=120
        )
        cases = await self._case_rows(session, data)
        links, by_number = await self._target_links(session, data)
        appeal = await create_appeal(
            session,
            NewAppeal(
                slug=slug,
                title=data.title,
                summary=data.summary,
                summary_pasted=data.summary_pasted,
                urgency=urgency,
                issued_on=data.issued_on,
                issued_precision=data.issued_precision,
                cases=cases,
                kind=kind,
                status=AppealStatus.DRAFT,
                language=data.language,
                deadline=data.deadline,
                source_url=data.source_url,
                parent_id=parent_id,
                created_by=created_by,
                letter_facts=data.letter_facts,
                demands=[
                    DemandSpec(
                        text=demand.text,
                        solidarity=demand.solidarity,
                        case=_named_case(demand.text, cases),
                        addressees=[by_number[n] for n in demand.to if n in by_number],
                    )
                    for demand in data.demands
                ],
                events=[
                    EventSpec(
                        on_date=event.on,
                        label=event.label,
                        kind=event.kind,
                        case=_named_case(event.label, cases) if len(cases) > 1 else None,
                    )
                    for event in data.events
                ],
                targets=links,
            ),
        )
        unit.after_commit(self._index.invalidate)
        return appeal

    async def _case_rows(self, session: AsyncSession, data: DraftData) -> list[Case]:
        cases = []
        for ref in data.cases:
            if ref.id is not None:
                case = await get_case(session, ref.id)
                if case is not None:
                    cases.append(case)
                    continue
            slug = await unique_slug(session, Case.slug, slugify(ref.name))
            # No summary of its own: the public reads the summaries of its published appeals.
            case, __ = await upsert_case(
                session, slug=slug, name=ref.name, country=data.country or "ZZ", place=data.place
            )
            cases.append(case)
        return cases

    async def _target_links(
        self, session: AsyncSession, data: DraftData
    ) -> tuple[list[TargetLink], dict[int, Target]]:
        """Return the appeal's target links, and each target by its number in the draft."""
        links: list[TargetLink] = []
        by_number: dict[int, Target] = {}
        for number, item in enumerate(data.targets, start=1):
            existing = await find_by_contact(
                session, emails=item.emails, phones=item.phones, faxes=item.faxes
            )
            key = (
                existing.key
                if existing
                else await unique_slug(session, Target.key, slugify(item.name))
            )
            target = await upsert_target(
                session,
                key=key,
                name=item.name,
                country=data.country,
                emails=item.emails,
                phones=item.phones,
                faxes=item.faxes,
                postal_address=item.postal_address,
                salutation=item.salutation,
            )
            if item.kind is not TargetKind.COPY_TO:
                by_number[number] = target
            if all(link.target.id != target.id for link in links):
                links.append(TargetLink(target=target, kind=item.kind, note=item.note))
        return links, by_number

    async def main_names(self, session: AsyncSession, refs: Sequence[CaseRef]) -> list[CaseRef]:
        """Return the case references with each known case's own name, each once."""
        ids = [ref.id for ref in refs if ref.id is not None]
        names = {case.id: case.name for case in await get_cases(session, ids)}
        result: list[CaseRef] = []
        for ref in refs:
            ref = CaseRef(id=ref.id, name=names.get(ref.id, ref.name)) if ref.id else ref
            if all(existing != ref for existing in result):
                result.append(ref)
        return result


def _named_case(text: str, cases: Sequence[Case]) -> Case | None:
    """Return the one case a demand or event names (by any of its names), if exactly one."""
    lowered = text.lower()
    named = [
        case
        for case in cases
        if any(
            len(name) >= 4 and name.lower() in lowered
            for name in [case.name, *(alias.name for alias in case.names)]
        )
    ]
    return named[0] if len(named) == 1 else None
