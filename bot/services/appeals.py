"""Appeals: pages of the latest, one appeal, whom to write to, the model letter."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.lookup import CaseIndex, Lookup
from core.errors import NotFoundError
from storage.contacts import format_phone
from storage.enums import AppealStatus, TargetKind
from storage.models import Appeal, AppealTarget
from storage.repo.actions import count_for_appeal
from storage.repo.appeals import (
    appeals_for_case,
    count_public,
    get_appeal,
    get_appeal_by_slug,
    list_appeals,
)
from storage.repo.visibility import is_public_appeal
from templates import Templates

PAGE_SIZE = 5
_APPEAL_REFERENCE = re.compile(r"^(?:appeal[_ ]?|#)?(\d{1,9})$", re.IGNORECASE)


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


@dataclass(slots=True)
class ContactGroups:
    protest: list[AppealTarget] = field(default_factory=list)
    copy_to: list[AppealTarget] = field(default_factory=list)
    embassy: list[AppealTarget] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Resolved:
    """What ``/contacts X`` or ``/letter X`` refers to: one appeal, or cases to pick from."""

    appeal: Appeal | None
    lookup: Lookup | None = None
    case_name: str | None = None
    withdrawn: bool = False


@dataclass(frozen=True, slots=True)
class AppealLookup:
    """A public appeal, or why there is none to show (it was withdrawn, or never was)."""

    appeal: Appeal | None
    withdrawn: bool = False


async def appeals_page(session: AsyncSession, *, offset: int) -> AppealsPage:
    """Return one page of published appeals, newest first."""
    total = await count_public(session)
    offset = max(0, min(offset, max(0, total - 1) // PAGE_SIZE * PAGE_SIZE))
    appeals = await list_appeals(session, limit=PAGE_SIZE, offset=offset)
    return AppealsPage(appeals=appeals, offset=offset, total=total)


def _public(appeal: Appeal | None) -> AppealLookup:
    if appeal is None or is_public_appeal(appeal):
        return AppealLookup(appeal)
    # A draft is as good as absent; a withdrawn appeal says so, and shows nothing of itself.
    return AppealLookup(None, withdrawn=appeal.status is AppealStatus.WITHDRAWN)


async def public_appeal(session: AsyncSession, appeal_id: int) -> AppealLookup:
    """Return an appeal the public may see, or say why there is none."""
    return _public(await get_appeal(session, appeal_id))


async def protest_count(session: AsyncSession, appeal_id: int) -> int:
    """Return how many people said they protested about an appeal."""
    return await count_for_appeal(session, appeal_id)


async def latest_appeal_for_case(session: AsyncSession, case_id: int) -> Appeal | None:
    """Return the newest published appeal about a case that names someone to write to."""
    appeals = await appeals_for_case(session, case_id)
    with_targets = [appeal for appeal in appeals if appeal.targets]
    if with_targets:
        return with_targets[-1]
    return appeals[-1] if appeals else None


async def resolve(session: AsyncSession, index: CaseIndex, text: str) -> Resolved:
    """Read a case name, an appeal number (12, #12, appeal_12) or an appeal slug."""
    text = text.strip()
    reference = _APPEAL_REFERENCE.match(text)
    if reference:
        found = await public_appeal(session, int(reference.group(1)))
        return Resolved(appeal=found.appeal, withdrawn=found.withdrawn)
    by_slug = await get_appeal_by_slug(session, text.lower()) if len(text) <= 120 else None
    if by_slug is not None:
        found = _public(by_slug)
        if found.appeal is not None or found.withdrawn:
            return Resolved(appeal=found.appeal, withdrawn=found.withdrawn)
    await index.refresh(session)
    lookup = index.find(text)
    if lookup.best is None:
        return Resolved(appeal=None, lookup=lookup)
    appeal = await latest_appeal_for_case(session, lookup.best.case_id)
    return Resolved(appeal=appeal, lookup=lookup, case_name=case_name(appeal, lookup.best.case_id))


def case_name(appeal: Appeal | None, case_id: int) -> str | None:
    """Return the main name of one of an appeal's cases."""
    if appeal is None:
        return None
    return next((case.name for case in appeal.cases if case.id == case_id), None)


def group_targets(appeal: Appeal) -> ContactGroups:
    """Split an appeal's targets into protest targets, copies and embassy advice."""
    groups = ContactGroups()
    for link in appeal.targets:
        if link.kind is TargetKind.PROTEST:
            groups.protest.append(link)
        elif link.kind is TargetKind.COPY_TO:
            groups.copy_to.append(link)
        else:
            groups.embassy.append(link)
    return groups


def _recipient_line(link: AppealTarget) -> str:
    target = link.target
    ways = [*target.emails]
    ways += [f"fax {format_phone(fax)}" for fax in target.faxes]
    if not ways and target.phones:
        ways += [f"phone {format_phone(phone)}" for phone in target.phones]
    if not ways and target.postal_address:
        ways.append(target.postal_address)
    return f"{target.name}: {', '.join(ways)}" if ways else target.name


@dataclass(frozen=True, slots=True)
class Letter:
    text: str
    recipients: list[str]
    copies: list[str]


def _subject(appeal: Appeal, focus: str | None) -> str:
    if focus:
        return f"the case of {focus}"
    names = [case.name for case in appeal.cases]
    if not names:
        return appeal.title
    if len(names) == 1:
        return f"the case of {names[0]}"
    return "the cases of " + ", ".join(names[:-1]) + " and " + names[-1]


def model_letter(templates: Templates, appeal: Appeal, *, focus: str | None = None) -> Letter:
    """Write the model letter for an appeal (about one of its cases), and where to send it."""
    groups = group_targets(appeal)
    first = groups.protest[0].target if groups.protest else None
    salutation = (first.salutation if first else None) or "Dear Sir or Madam,"
    text = templates.letter(
        "protest",
        language=appeal.language,
        appeal=appeal,
        salutation=salutation,
        subject=_subject(appeal, focus),
    )
    recipients = [_recipient_line(link) for link in groups.protest]
    recipients += [link.note or link.target.notes or link.target.name for link in groups.embassy]
    copies = [email for link in groups.copy_to for email in link.target.emails]
    return Letter(text=text, recipients=recipients, copies=copies)


async def appeal_id_for(session: AsyncSession, reference: str) -> int:
    """Read an appeal reference (12, #12, appeal_12 or a slug); raise NotFoundError if unknown."""
    reference = reference.strip()
    number = _APPEAL_REFERENCE.match(reference)
    if number:
        return int(number.group(1))
    found = await get_appeal_by_slug(session, reference.lower()) if len(reference) <= 120 else None
    if found is None:
        raise NotFoundError(f"There is no appeal “{reference[:80]}”.")
    return found.id
