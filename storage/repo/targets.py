"""Queries and changes for targets: the offices protests go to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Target


async def get_target_by_key(session: AsyncSession, key: str) -> Target | None:
    """Return the target with this key."""
    return (await session.scalars(select(Target).where(Target.key == key))).one_or_none()


def _union(stored: Sequence[str], new: Sequence[str]) -> list[str]:
    merged = list(stored)
    merged.extend(value for value in new if value not in stored)
    return merged


async def upsert_target(
    session: AsyncSession,
    *,
    key: str,
    name: str,
    role: str | None = None,
    organisation: str | None = None,
    country: str | None = None,
    emails: Sequence[str] = (),
    phones: Sequence[str] = (),
    faxes: Sequence[str] = (),
    postal_address: str | None = None,
    salutation: str | None = None,
    notes: str | None = None,
    languages: Sequence[str] = (),
    texts: Mapping[str, Mapping[str, str]] | None = None,
) -> Target:
    """Create the target, or fill in what an existing one lacks and add new contacts."""
    target = await get_target_by_key(session, key)
    if target is None:
        target = Target(
            key=key,
            name=name,
            role=role,
            organisation=organisation,
            country=country,
            emails=list(dict.fromkeys(emails)),
            phones=list(dict.fromkeys(phones)),
            faxes=list(dict.fromkeys(faxes)),
            postal_address=postal_address,
            salutation=salutation,
            notes=notes,
            languages=list(languages),
            texts={language: dict(words) for language, words in (texts or {}).items()},
        )
        session.add(target)
    else:
        target.role = target.role or role
        target.organisation = target.organisation or organisation
        target.country = target.country or country
        target.postal_address = target.postal_address or postal_address
        target.salutation = target.salutation or salutation
        target.notes = target.notes or notes
        # Reassign (not mutate) so the JSON columns are seen as changed.
        target.emails = _union(target.emails, emails)
        target.phones = _union(target.phones, phones)
        target.faxes = _union(target.faxes, faxes)
        target.languages = target.languages or list(languages)
        target.texts = {
            language: {**dict((texts or {}).get(language, {})), **target.texts.get(language, {})}
            for language in {*(texts or {}), *target.texts}
        }
    await session.flush()
    return target


async def find_by_contact(
    session: AsyncSession, *, emails: Sequence[str], phones: Sequence[str], faxes: Sequence[str]
) -> Target | None:
    """Return a stored target sharing any email, phone or fax number (None if none does)."""
    wanted = set(emails) | set(phones) | set(faxes)
    if not wanted:
        return None
    for target in await session.scalars(select(Target).order_by(Target.id)):
        if wanted & (set(target.emails) | set(target.phones) | set(target.faxes)):
            return target
    return None
