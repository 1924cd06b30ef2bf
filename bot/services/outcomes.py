"""Outcomes: a case is resolved (or not); its followers and earlier readers hear of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.services.actors import Actor
from bot.services.publishing import Published, PublishingService
from core.errors import NotFoundError
from core.timing import Clock
from storage.database import Database
from storage.enums import AppealKind, AppealStatus, CaseStatus, Urgency
from storage.models import Appeal
from storage.repo.appeals import NewAppeal, appeals_for_case, create_appeal
from storage.repo.cases import get_case
from storage.repo.slugs import slugify, unique_slug
from templates.i18n import DEFAULT, N_, speaking


@dataclass(frozen=True, slots=True)
class OutcomeRequest:
    case_query: str
    status: CaseStatus
    text: str


@dataclass(frozen=True, slots=True)
class OutcomeResult:
    published: Published
    case_name: str
    status: CaseStatus


class OutcomeService:
    """Record how a case ended (or that it is open again); announce it; thank protesters."""

    def __init__(
        self,
        db: Database,
        *,
        publishing: PublishingService,
        clock: Clock,
        label: Callable[[CaseStatus], str] = str,
    ) -> None:
        self._clock = clock
        self._db = db
        self._publishing = publishing
        self._label = label

    async def record(
        self,
        case_id: int,
        request: OutcomeRequest,
        *,
        actor: Actor,
        progress_chat_id: int | None,
    ) -> OutcomeResult:
        """Record the outcome, announce it, and thank everyone who protested about the case."""
        async with self._db.unit() as unit:
            session = unit.session
            case = await get_case(session, case_id)
            if case is None:
                raise NotFoundError(N_("There is no such case."))
            with speaking(DEFAULT):  # stored in the appeal's own words, whoever records it
                label = self._label(request.status)
            case.status = request.status
            case.outcome = request.text or f"{label[:1].upper()}{label[1:]}."
            earlier = await appeals_for_case(session, case.id, whole=False)
            now = self._clock()
            slug = await unique_slug(
                session, Appeal.slug, f"{now:%Y-%m-%d}-outcome-{slugify(case.name)}", limit=120
            )
            appeal = await create_appeal(
                session,
                NewAppeal(
                    slug=slug,
                    title=f"{case.name}: {label}",
                    summary=case.outcome,
                    urgency=Urgency.NORMAL,
                    issued_on=now.date(),
                    cases=[case],
                    kind=AppealKind.OUTCOME,
                    status=AppealStatus.DRAFT,
                    parent_id=earlier[-1].id if earlier else None,
                    created_by=actor.user_id,
                ),
            )
            # Who protested is not stored: the thank-you is in the outcome itself, which
            # reaches everyone who follows the case or received its appeals.
            published = await self._publishing.publish_in(
                unit, appeal.id, actor=actor, progress_chat_id=progress_chat_id
            )
            return OutcomeResult(published=published, case_name=case.name, status=request.status)
