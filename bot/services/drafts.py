"""Drafts: from pasted text (or a link) to a published appeal, one reviewed step at a time.

A draft lives in the database, so it outlives a restart. Its step says what the admin's next
message is: the appeal's text, more of it while reviewing, or a new value for one field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.extract.clean import without_controls
from bot.extract.draft import CaseRef, DraftData, extract_draft
from bot.extract.fetch import FetchOptions, fetch_page, single_link
from bot.services.actors import Actor
from bot.services.appeal_writer import AppealWriter
from bot.services.case_index import CaseIndex
from bot.services.draft_fields import BY_NAME, DraftField, EditContext
from bot.services.publishing import Published, PublishingService
from core.errors import BadInputError
from storage.database import Database
from storage.enums import AppealKind, ItemOutcome, Urgency
from storage.models import Draft
from storage.repo import drafts as repo
from storage.repo.appeals import appeals_for_case
from storage.repo.audit import log_action
from storage.repo.cases import get_case
from storage.repo.sources import settle_draft
from templates.i18n import N_, _


class Step(StrEnum):
    TEXT = "text"  # waiting for the appeal's text or link
    REVIEW = "review"  # shown to the admin; more text is added to it
    EDIT = "edit"  # waiting for a new value of one field


_EDIT_PREFIX = "edit:"


def _step_of(stored: str) -> tuple[Step, str | None]:
    if stored.startswith(_EDIT_PREFIX):
        return Step.EDIT, stored.removeprefix(_EDIT_PREFIX)
    return Step(stored), None


@dataclass(frozen=True, slots=True)
class DraftState:
    """Where an admin's draft stands."""

    id: int
    step: Step
    field: DraftField | None
    kind: AppealKind
    data: DraftData | None


def data_of(draft: Draft) -> DraftData | None:
    """Return what a draft holds so far (None before any text was sent)."""
    return DraftData.model_validate(draft.data) if draft.data else None


def _state(draft: Draft) -> DraftState:
    step, field = _step_of(draft.step)
    return DraftState(
        id=draft.id,
        step=step,
        field=BY_NAME.get(field) if field else None,
        kind=draft.kind,
        data=data_of(draft),
    )


class DraftService:
    """An admin's draft, step by step: open it, fill it from text or a link, edit a field,
    publish it or drop it."""

    def __init__(
        self,
        db: Database,
        *,
        index: CaseIndex,
        publishing: PublishingService,
        writer: AppealWriter,
        fetch_options: FetchOptions,
        today: Callable[[], date],
    ) -> None:
        self._db = db
        self._index = index
        self._publishing = publishing
        self._writer = writer
        self._fetch_options = fetch_options
        self._today = today

    async def begin(self, *, admin_id: int, chat_id: int, case_id: int | None = None) -> None:
        """Open a draft (an update when it is about a case); its text comes next."""
        kind = AppealKind.UPDATE if case_id is not None else AppealKind.APPEAL
        async with self._db.unit() as unit:
            await repo.start_draft(
                unit.session,
                admin_id=admin_id,
                chat_id=chat_id,
                step=Step.TEXT.value,
                kind=kind,
                case_id=case_id,
            )

    async def take(self, *, admin_id: int, chat_id: int, item_id: int) -> DraftState:
        """Take a draft a followed source made into this admin's review (an update when it
        is about a known case); refused if another admin took or discarded it, or while the
        admin has a draft of their own open here."""
        async with self._db.unit() as unit:
            session = unit.session
            if (mine := await repo.get_draft(session, admin_id=admin_id, chat_id=chat_id)) and (
                mine.data
            ):
                raise BadInputError(
                    N_("You have a draft open already: publish it or /cancel it first.")
                )
            settled = await settle_draft(session, item_id, ItemOutcome.TAKEN)
            if settled is None:
                raise BadInputError(N_("Another admin has taken or discarded this draft."))
            data, case_id = settled
            draft = await repo.start_draft(
                session,
                admin_id=admin_id,
                chat_id=chat_id,
                step=Step.REVIEW.value,
                kind=AppealKind.UPDATE if case_id is not None else AppealKind.APPEAL,
                case_id=case_id,
                data=data,
            )
            await log_action(
                session,
                actor=Actor.telegram(admin_id).label,
                actor_id=admin_id,
                action="source-draft-take",
                subject=f"source-item:{item_id}",
                detail={},
            )
            return _state(draft)

    async def current(self, *, admin_id: int, chat_id: int) -> DraftState | None:
        """Return the admin's open draft in this chat."""
        async with self._db.read() as session:
            draft = await repo.get_draft(session, admin_id=admin_id, chat_id=chat_id)
            return _state(draft) if draft is not None else None

    async def cancel(self, *, admin_id: int, chat_id: int) -> bool:
        """Throw the draft away; return whether there was one."""
        async with self._db.unit() as unit:
            draft = await repo.get_draft(unit.session, admin_id=admin_id, chat_id=chat_id)
            if draft is None:
                return False
            await repo.discard(unit.session, draft)
            return True

    async def read_text(self, *, admin_id: int, chat_id: int, text: str) -> DraftState:
        """Read the appeal from the admin's text, or from the page a lone link points to."""
        return await self._take_text(admin_id, chat_id, text, add=False)

    async def add_text(self, *, admin_id: int, chat_id: int, text: str) -> DraftState:
        """Add more text (or a page's text) to the draft under review and read it again."""
        return await self._take_text(admin_id, chat_id, text, add=True)

    async def write_field(self, *, admin_id: int, chat_id: int, value: str) -> DraftState:
        """Write the admin's value into the field being edited, then review again."""
        async with self._db.unit() as unit:
            draft = await self._open(unit.session, admin_id, chat_id)
            await self._write_field(unit.session, draft, value)
            return _state(draft)

    async def _take_text(self, admin_id: int, chat_id: int, text: str, *, add: bool) -> DraftState:
        source_url = None
        if link := single_link(text):
            page = await fetch_page(link, self._fetch_options)
            text, source_url = page.text, page.url
        async with self._db.unit() as unit:
            draft = await self._open(unit.session, admin_id, chat_id)
            await self._read_text(unit.session, draft, text, source_url=source_url, add=add)
            return _state(draft)

    async def _open(self, session: AsyncSession, admin_id: int, chat_id: int) -> Draft:
        draft = await repo.get_draft(session, admin_id=admin_id, chat_id=chat_id)
        if draft is None:
            raise BadInputError(N_("That draft is no longer open. /newappeal starts a new one."))
        return draft

    async def choose_field(self, *, admin_id: int, chat_id: int, name: str) -> DraftState:
        """Ask for a new value of one field next."""
        if name not in BY_NAME:
            raise BadInputError(N_("There is no such field to edit."))
        async with self._db.unit() as unit:
            draft = await repo.get_draft(unit.session, admin_id=admin_id, chat_id=chat_id)
            if draft is None or data_of(draft) is None:
                raise BadInputError(N_("That draft is no longer open."))
            draft.step = _EDIT_PREFIX + name
            await unit.session.flush()
            return _state(draft)

    async def date_today(self, *, admin_id: int, chat_id: int) -> DraftState:
        """Say the draft's appeal is from today: dates without a year take this year."""
        async with self._db.unit() as unit:
            draft = await self._open(unit.session, admin_id, chat_id)
            data = data_of(draft)
            if data is None:
                raise BadInputError(N_("That draft has no text yet."))
            data.date_it(self._today())
            draft.data = data.model_dump(mode="json")
            await unit.session.flush()
            return _state(draft)

    async def publish(
        self, *, admin_id: int, chat_id: int, urgent: bool, confirm_summary: bool = False
    ) -> Published:
        """Store the reviewed draft as an appeal, publish it and queue it for subscribers.

        A draft whose year is unknown is refused; one whose summary is still the pasted
        text needs ``confirm_summary``.
        """
        async with self._db.unit() as unit:
            draft = await repo.get_draft(unit.session, admin_id=admin_id, chat_id=chat_id)
            data = data_of(draft) if draft is not None else None
            if draft is None or data is None:
                raise BadInputError(N_("That draft is no longer open."))
            if blockers := data.blockers():
                raise BadInputError(blockers[0])
            if data.summary_pasted and not confirm_summary:
                raise BadInputError(
                    N_(
                        "The summary is still the pasted text: rewrite it (Edit a field → "
                        "Summary) or confirm it."
                    )
                )
            data.summary_pasted = False
            parent_id = None
            if draft.case_id is not None:
                earlier = await appeals_for_case(unit.session, draft.case_id, whole=False)
                parent_id = earlier[-1].id if earlier else None
            appeal = await self._writer.save(
                unit,
                data,
                kind=draft.kind,
                urgency=Urgency.URGENT if urgent else Urgency.NORMAL,
                created_by=draft.admin_id,
                parent_id=parent_id,
            )
            published = await self._publishing.publish_in(
                unit, appeal.id, actor=Actor.telegram(admin_id), progress_chat_id=chat_id
            )
            await repo.discard(unit.session, draft)
            return published

    # ---- inside a unit of work -------------------------------------------------------------

    async def _read_text(
        self, session: AsyncSession, draft: Draft, text: str, *, source_url: str | None, add: bool
    ) -> None:
        previous = data_of(draft)
        combined = f"{previous.text}\n\n{text}" if previous and add else text
        await self._index.refresh(session)
        data = extract_draft(
            combined,
            today=self._today(),
            index=self._index,
            source_url=source_url or (previous.source_url if previous else None),
        )
        if draft.case_id is not None:
            case = await get_case(session, draft.case_id)
            if case is not None:
                data.cases = [CaseRef(id=case.id, name=case.name), *data.cases]
                data.cases = [ref for ref in data.cases if ref.id is not None] or data.cases
        data.cases = await self._writer.main_names(session, data.cases)
        draft.data = data.model_dump(mode="json")
        draft.step = Step.REVIEW.value
        await session.flush()

    async def _write_field(self, session: AsyncSession, draft: Draft, value: str) -> None:
        data = data_of(draft)
        __, name = _step_of(draft.step)
        field = BY_NAME.get(name or "")
        if data is None or field is None:
            raise BadInputError(N_("Nothing is being edited."))
        value = without_controls(value).strip()
        if not value:
            raise BadInputError(N_("That was empty. %(hint)s"), hint=_(field.hint))

        async def find_cases(names: Sequence[str]) -> list[CaseRef]:
            await self._index.refresh(session)
            refs = []
            for name in names:
                lookup = self._index.find(name, public=False)
                best = lookup.best
                refs.append(
                    CaseRef(id=best.case_id, name=name) if best else CaseRef(name=name[:120])
                )
            return await self._writer.main_names(session, refs)

        await field.write(data, value, EditContext(today=self._today(), find_cases=find_cases))
        draft.data = data.model_dump(mode="json")
        draft.step = Step.REVIEW.value
        await session.flush()
