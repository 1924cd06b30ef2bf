"""Drafts: from pasted text to a published appeal, one reviewed step at a time."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.extract.dates import find_dates
from bot.extract.draft import CaseRef, DraftData, EventData, TargetData, extract_draft
from bot.extract.targets import extract_targets
from bot.services.lookup import CaseIndex
from bot.services.publishing import Published, publish
from core.errors import BadInputError
from storage.enums import AppealKind, AppealStatus, Channel, DatePrecision, Urgency
from storage.models import Appeal, AppealEvent, AppealTarget, Case, Demand, Draft, Target
from storage.repo import drafts as repo
from storage.repo.appeals import TargetLink, create_appeal, timeline_for_case
from storage.repo.cases import get_case, get_cases, upsert_case
from storage.repo.slugs import slugify, unique_slug
from storage.repo.targets import find_by_contact, upsert_target
from storage.types import utcnow

STEP_TEXT = "text"
STEP_REVIEW = "review"
EDIT = "edit:"
FIELDS = {
    "title": "Title",
    "summary": "Summary",
    "cases": "Cases",
    "place": "Place",
    "dates": "Dates",
    "deadline": "Deadline",
    "demands": "Demands",
    "targets": "Targets",
    "source": "Source link",
}
FIELD_HINTS = {
    "title": "Send the new title.",
    "summary": "Send the new summary (what happened, in a few paragraphs).",
    "cases": "Send the cases, one per line or separated by commas. Known names are matched; "
    "new names become new cases.",
    "place": "Send the town (or “none”).",
    "dates": "Send the dates, one per line, for example “2 May 2011: trial of Dmitry Tikhonov”.",
    "deadline": "Send the date to act by (or “none”).",
    "demands": "Send the demands, one per line.",
    "targets": "Send whom to write to, for example:\nProcurator General\nEmail: office@example.org"
    "\nFax: +7 727 000 0000\n\nCopies to: copies@example.org",
    "source": "Send the link to the original appeal (or “none”).",
}
_NONE = {"none", "no", "-", "—", "nothing", "нет"}
_LIST_MARK = re.compile(r"^\s*(\d{1,2}[.):]|[-•*])\s*")


def data_of(draft: Draft) -> DraftData | None:
    """Return what the draft holds so far (None before any text was sent)."""
    return DraftData.model_validate(draft.data) if draft.data else None


async def begin(
    session: AsyncSession, *, admin_id: int, chat_id: int, case: Case | None = None
) -> Draft:
    """Open a draft (an update when it is about a case); ask for the text next."""
    kind = AppealKind.UPDATE if case is not None else AppealKind.APPEAL
    return await repo.start_draft(
        session,
        admin_id=admin_id,
        chat_id=chat_id,
        step=STEP_TEXT,
        kind=kind,
        case_id=case.id if case is not None else None,
    )


async def current(session: AsyncSession, *, admin_id: int, chat_id: int) -> Draft | None:
    """Return the admin's open draft in this chat."""
    return await repo.get_draft(session, admin_id=admin_id, chat_id=chat_id)


async def cancel(session: AsyncSession, draft: Draft) -> None:
    """Throw a draft away; nothing else was written."""
    await repo.discard(session, draft)


async def _with_main_names(session: AsyncSession, refs: Sequence[CaseRef]) -> list[CaseRef]:
    ids = [ref.id for ref in refs if ref.id is not None]
    names = {case.id: case.name for case in await get_cases(session, ids)}
    result: list[CaseRef] = []
    for ref in refs:
        ref = CaseRef(id=ref.id, name=names.get(ref.id, ref.name)) if ref.id else ref
        if all(existing != ref for existing in result):
            result.append(ref)
    return result


async def take_text(
    session: AsyncSession,
    draft: Draft,
    text: str,
    *,
    today: date,
    index: CaseIndex,
    source_url: str | None = None,
) -> DraftData:
    """Read the appeal from text; more text sent while reviewing is added to it."""
    previous = data_of(draft)
    combined = f"{previous.text}\n\n{text}" if previous and draft.step == STEP_REVIEW else text
    await index.refresh(session)
    data = extract_draft(
        combined,
        today=today,
        index=index,
        source_url=source_url or (previous.source_url if previous else None),
    )
    if draft.case_id is not None:
        case = await get_case(session, draft.case_id)
        if case is not None:
            data.cases = [CaseRef(id=case.id, name=case.name), *data.cases]
            data.cases = [ref for ref in data.cases if ref.id is not None] or data.cases
    data.cases = await _with_main_names(session, data.cases)
    draft.data = data.model_dump(mode="json")
    draft.step = STEP_REVIEW
    await session.flush()
    return data


async def choose_field(session: AsyncSession, draft: Draft, field: str) -> str:
    """Ask for a new value of one field; return the hint to show."""
    if field not in FIELDS or data_of(draft) is None:
        raise BadInputError("There is no such field to edit.")
    draft.step = EDIT + field
    await session.flush()
    return FIELD_HINTS[field]


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.replace("\r", "").split("\n") if line.strip()]


def _one_date(value: str, today: date) -> date | None:
    found = find_dates(value, today=today)
    if not found:
        raise BadInputError(f"I could not read a date in “{value[:60]}”. Try “2 May 2026”.")
    return found[0].on


def _events(value: str, today: date) -> list[EventData]:
    events = []
    for line in _lines(value):
        found = find_dates(line, today=today)
        if not found:
            raise BadInputError(f"I could not read a date in “{line[:60]}”.")
        first = found[0]
        label = (line[: first.position] + line[first.end :]).strip(" :-–,.")
        events.append(EventData(on=first.on, label=(label or "Event")[:300]))
    return sorted(events, key=lambda event: event.on)


async def apply_edit(
    session: AsyncSession, draft: Draft, value: str, *, today: date, index: CaseIndex
) -> DraftData:
    """Replace the field being edited with what the admin sent."""
    data = data_of(draft)
    if data is None or not draft.step.startswith(EDIT):
        raise BadInputError("Nothing is being edited.")
    field = draft.step.removeprefix(EDIT)
    value = value.strip()
    if not value:
        raise BadInputError("That was empty. " + FIELD_HINTS[field])
    clear = value.lower() in _NONE
    if field == "title":
        data.title = value[:200]
    elif field == "summary":
        data.summary = value[:10_000]
    elif field == "place":
        data.place = None if clear else value[:200]
    elif field == "source":
        data.source_url = None if clear else value[:500]
    elif field == "deadline":
        data.deadline = None if clear else _one_date(value, today)
    elif field == "dates":
        data.events = [] if clear else _events(value, today)
    elif field == "demands":
        data.demands = [] if clear else [_LIST_MARK.sub("", line) for line in _lines(value)]
    elif field == "targets":
        found = extract_targets(_lines(value), listing=True)
        if not found and not clear:
            raise BadInputError(
                "I found no email, phone, fax or address in that. " + FIELD_HINTS["targets"]
            )
        data.targets = [TargetData(**vars(target)) for target in found]
    elif field == "cases":
        await index.refresh(session)
        refs = []
        for name in re.split(r"[,\n]", value):
            name = name.strip()
            if not name:
                continue
            lookup = index.find(name, public=False)
            refs.append(
                CaseRef(id=lookup.best.case_id, name=name)
                if lookup.best
                else CaseRef(name=name[:120])
            )
        data.cases = await _with_main_names(session, refs)
    draft.data = data.model_dump(mode="json")
    draft.step = STEP_REVIEW
    await session.flush()
    return data


def preview(data: DraftData, *, kind: AppealKind, urgent: bool | None = None) -> Appeal:
    """Build the appeal as subscribers will see it, without storing it."""
    urgency = data.urgency if urgent is None else (Urgency.URGENT if urgent else Urgency.NORMAL)
    return Appeal(
        id=0,
        slug="preview",
        title=data.title,
        summary=data.summary,
        kind=kind,
        urgency=urgency,
        status=AppealStatus.DRAFT,
        language=data.language,
        issued_on=utcnow().date(),
        issued_precision=DatePrecision.DAY,
        deadline=data.deadline,
        source_url=data.source_url,
        cases=[
            Case(id=ref.id or 0, name=ref.name, slug="", country=data.country or "ZZ")
            for ref in data.cases
        ],
        demands=[Demand(position=n, text=text) for n, text in enumerate(data.demands, start=1)],
        events=[AppealEvent(on_date=event.on, label=event.label) for event in data.events],
        targets=[
            AppealTarget(
                kind=target.kind,
                position=n,
                note=target.note,
                target=Target(
                    key=f"t{n}",
                    name=target.name,
                    emails=target.emails,
                    phones=target.phones,
                    faxes=target.faxes,
                    postal_address=target.postal_address,
                ),
            )
            for n, target in enumerate(data.targets, start=1)
        ],
    )


async def _case_rows(session: AsyncSession, data: DraftData) -> list[Case]:
    cases = []
    for ref in data.cases:
        if ref.id is not None:
            case = await get_case(session, ref.id)
            if case is not None:
                cases.append(case)
                continue
        slug = await unique_slug(session, Case.slug, slugify(ref.name))
        # No summary of its own: the public reads the summaries of its published appeals.
        case, _ = await upsert_case(
            session, slug=slug, name=ref.name, country=data.country or "ZZ", place=data.place
        )
        cases.append(case)
    return cases


async def _target_links(session: AsyncSession, data: DraftData) -> list[TargetLink]:
    links: list[TargetLink] = []
    for item in data.targets:
        existing = await find_by_contact(
            session, emails=item.emails, phones=item.phones, faxes=item.faxes
        )
        key = (
            existing.key if existing else await unique_slug(session, Target.key, slugify(item.name))
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
        )
        if all(link.target.id != target.id for link in links):
            links.append(TargetLink(target=target, kind=item.kind, note=item.note))
    return links


async def save_as_appeal(
    session: AsyncSession,
    data: DraftData,
    *,
    kind: AppealKind,
    status: AppealStatus,
    urgency: Urgency,
    created_by: int | None,
    parent_id: int | None = None,
) -> Appeal:
    """Store a draft as an appeal, creating new cases and linking or adding targets."""
    today = utcnow().date()
    slug = await unique_slug(
        session, Appeal.slug, f"{today:%Y-%m-%d}-{slugify(data.title)}", limit=120
    )
    return await create_appeal(
        session,
        slug=slug,
        title=data.title,
        summary=data.summary,
        urgency=urgency,
        issued_on=today,
        cases=await _case_rows(session, data),
        kind=kind,
        status=status,
        language=data.language,
        deadline=data.deadline,
        source_name=None,
        source_url=data.source_url,
        parent_id=parent_id,
        published_at=utcnow() if status is AppealStatus.PUBLISHED else None,
        created_by=created_by,
        demands=data.demands,
        events=[(event.on, event.label) for event in data.events],
        targets=await _target_links(session, data),
    )


async def publish_draft(
    session: AsyncSession,
    draft: Draft,
    *,
    urgent: bool,
    channels: Sequence[Channel],
    paid: bool,
) -> Published:
    """Store the reviewed draft as an appeal, publish it and queue it for subscribers."""
    data = data_of(draft)
    if data is None:
        raise BadInputError("This draft has no text yet.")
    parent_id = None
    if draft.case_id is not None:
        earlier = await timeline_for_case(session, draft.case_id)
        parent_id = earlier[-1].id if earlier else None
    appeal = await save_as_appeal(
        session,
        data,
        kind=draft.kind,
        status=AppealStatus.DRAFT,
        urgency=Urgency.URGENT if urgent else Urgency.NORMAL,
        created_by=draft.admin_id,
        parent_id=parent_id,
    )
    published = await publish(
        session,
        appeal.id,
        actor=f"telegram:{draft.admin_id}",
        actor_id=draft.admin_id,
        progress_chat_id=draft.chat_id,
        channels=channels,
        paid=paid,
    )
    await repo.discard(session, draft)
    return published
