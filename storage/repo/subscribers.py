"""Queries and changes for subscribers."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, case, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.database import erased
from storage.enums import SubscriberState
from storage.models import Case, Subscriber, SubscriberCountry, subscriber_cases
from storage.sealed import found_at, opened, sealed_columns


def new_token() -> str:
    """Return a random, unguessable token for confirm and unsubscribe links."""
    return secrets.token_urlsafe(24)


async def _one(session: AsyncSession, condition: ColumnElement[bool]) -> Subscriber | None:
    """Return the subscriber that meets a condition, with its cases and countries."""
    statement = (
        select(Subscriber)
        .where(condition)
        .options(selectinload(Subscriber.followed), selectinload(Subscriber.country_filter))
    )
    return (await session.scalars(statement)).one_or_none()


def at_address(session: AsyncSession, channel: str, address: str) -> ColumnElement[bool]:
    """Return the condition that finds a channel's subscriber at an address (by its hash)."""
    return found_at(session, Subscriber.channel, Subscriber.address_hash, channel, address)


async def get_by_address(session: AsyncSession, channel: str, address: str) -> Subscriber | None:
    """Return the subscriber of a channel at an address, with the cases it follows."""
    return await _one(session, at_address(session, channel, address))


def address_of(session: AsyncSession, subscriber: Subscriber) -> str | None:
    """Return a subscriber's address, opened (None: left, or sealed by a destroyed key)."""
    return opened(session, subscriber.channel, subscriber.address_sealed)


async def get_by_unsubscribe_token(session: AsyncSession, token: str) -> Subscriber | None:
    """Return the subscriber whose unsubscribe (and settings) links carry this token."""
    return await _one(session, Subscriber.unsubscribe_token == token)


async def languages(session: AsyncSession, channel: str) -> dict[str, str]:
    """Return the language of every active subscriber of a channel, by address."""
    statement = select(Subscriber.address_sealed, Subscriber.language).where(
        Subscriber.channel == channel,
        Subscriber.address_sealed.is_not(None),
        Subscriber.state == SubscriberState.ACTIVE,
    )
    found = {
        opened(session, channel, sealed): language
        for sealed, language in await session.execute(statement)
    }
    return {address: language for address, language in found.items() if address}


async def subscribe(
    session: AsyncSession, *, channel: str, address: str, kind: str | None, language: str
) -> tuple[Subscriber, bool]:
    """Make an address an active subscriber; return it and whether it was not active before."""
    subscriber = await get_by_address(session, channel, address)
    if subscriber is None:
        subscriber = Subscriber(
            channel=channel,
            **sealed_columns(session, channel, address),
            kind=kind,
            language=language,
            state=SubscriberState.ACTIVE,
            unsubscribe_token=new_token(),
            followed=[],
            country_filter=[],
        )
        session.add(subscriber)
        await session.flush()
        return subscriber, True
    was_active = subscriber.state is SubscriberState.ACTIVE
    subscriber.state = SubscriberState.ACTIVE
    subscriber.kind = kind
    await session.flush()
    return subscriber, not was_active


async def retire(
    session: AsyncSession, subscriber_ids: Sequence[int], state: SubscriberState
) -> None:
    """Keep of subscribers who left only a count: no chat id, no address, no choices.

    The row stays (anonymous, in its state) so that figures add up; what was queued for it
    is skipped when its turn comes. A mirror keeps its address (a room, a receiver: the
    operator's configuration, nobody's data), so that admins can see which one was lost.
    """
    if not subscriber_ids:
        return
    ids = list(subscriber_ids)
    erased(session)
    await session.execute(delete(subscriber_cases).where(subscriber_cases.c.subscriber_id.in_(ids)))
    await session.execute(delete(SubscriberCountry).where(SubscriberCountry.subscriber_id.in_(ids)))
    await session.execute(
        update(Subscriber)
        .where(Subscriber.id.in_(ids))
        .values(
            state=state,
            **{
                column: case((Subscriber.mirror.is_(True), getattr(Subscriber, column)), else_=None)
                for column in ("address_sealed", "address_hash", "sealed_with")
            },
            timezone=None,
            confirm_token=None,
        )
        .execution_options(synchronize_session=False)
    )
    for subscriber in list(session.identity_map.values()):
        if isinstance(subscriber, Subscriber) and subscriber.id in ids:
            session.expire(subscriber)


async def leave(session: AsyncSession, channel: str, address: str, state: SubscriberState) -> bool:
    """Retire an address's subscription; return False if it was not subscribed."""
    subscriber = await get_by_address(session, channel, address)
    if subscriber is None:
        return False
    was_active = subscriber.state is SubscriberState.ACTIVE
    await retire(session, [subscriber.id], state)
    return was_active


async def forget(session: AsyncSession, subscriber_id: int) -> bool:
    """Delete a subscriber and everything that hangs on it (choices, deliveries)."""
    erased(session)
    result = await session.execute(delete(Subscriber).where(Subscriber.id == subscriber_id))
    return bool(getattr(result, "rowcount", 0))


async def forget_requested(session: AsyncSession, requested_by: str) -> bool:
    """Delete the email sign-ups a chat asked for that are still waiting for confirmation."""
    erased(session)
    result = await session.execute(
        delete(Subscriber).where(
            Subscriber.requested_by == requested_by,
            Subscriber.state == SubscriberState.PENDING,
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def toggle_followed(session: AsyncSession, subscriber: Subscriber, case: Case) -> bool:
    """Follow a case, or stop following it; return whether it is followed now."""
    if any(followed.id == case.id for followed in subscriber.followed):
        subscriber.followed = [c for c in subscriber.followed if c.id != case.id]
        following = False
    else:
        subscriber.followed = [*subscriber.followed, case]
        following = True
    await session.flush()
    return following


async def toggle_country(session: AsyncSession, subscriber: Subscriber, country: str) -> bool:
    """Add a country to the subscriber's filter, or remove it; return whether it is in now."""
    kept = [row for row in subscriber.country_filter if row.country != country]
    chosen = len(kept) == len(subscriber.country_filter)
    if chosen:
        kept.append(SubscriberCountry(country=country))
    subscriber.country_filter = kept
    await session.flush()
    return chosen


async def get_by_confirm_token(session: AsyncSession, token: str) -> Subscriber | None:
    """Return the sign-up waiting for this confirmation token."""
    return await session.scalar(select(Subscriber).where(Subscriber.confirm_token == token))


async def set_filters(
    session: AsyncSession, subscriber: Subscriber, *, countries: list[str], cases: list[Case]
) -> None:
    """Replace what a subscriber limits appeals to (countries) and the cases it follows."""
    subscriber.country_filter = [SubscriberCountry(country=code) for code in sorted(set(countries))]
    subscriber.followed = list({case.id: case for case in cases}.values())
    await session.flush()


async def sign_up_email(
    session: AsyncSession, *, channel: str, email: str, language: str, now: datetime
) -> tuple[Subscriber, bool]:
    """Record an email sign-up waiting for confirmation; return it and whether it is new.

    An address that unsubscribed or bounced starts again as a new sign-up.
    """
    subscriber = await get_by_address(session, channel, email)
    if subscriber is None:
        subscriber = Subscriber(
            channel=channel,
            **sealed_columns(session, channel, email),
            language=language,
            state=SubscriberState.PENDING,
            confirm_token=new_token(),
            unsubscribe_token=new_token(),
            created_at=now,
            updated_at=now,
        )
        session.add(subscriber)
        await session.flush()
        return subscriber, True
    if subscriber.state in (SubscriberState.UNSUBSCRIBED, SubscriberState.BOUNCED):
        subscriber.state = SubscriberState.PENDING
        subscriber.confirm_token = new_token()
        subscriber.created_at = now
        await session.flush()
        return subscriber, True
    return subscriber, False


async def expire_sign_ups(session: AsyncSession, *, before: datetime) -> int:
    """Forget sign-ups never confirmed since ``before``; return how many."""
    erased(session)
    result = await session.execute(
        delete(Subscriber).where(
            Subscriber.state == SubscriberState.PENDING,
            Subscriber.created_at < before,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def confirm_token_of(session: AsyncSession, subscriber_id: int) -> str | None:
    """Return the confirmation token of a sign-up still waiting for it."""
    return await session.scalar(
        select(Subscriber.confirm_token).where(
            Subscriber.id == subscriber_id, Subscriber.state == SubscriberState.PENDING
        )
    )


async def sync_mirrors(
    session: AsyncSession, channel: str, targets: Sequence[tuple[str, str | None]]
) -> tuple[int, int]:
    """Make a channel's mirrors these (address, kind) targets: new ones added, gone ones
    retired; return how many were added and retired."""
    wanted = dict(targets)
    rows = (
        await session.scalars(
            select(Subscriber).where(Subscriber.channel == channel, Subscriber.mirror.is_(True))
        )
    ).all()
    opened_rows = ((address_of(session, row), row) for row in rows)
    have = {address: row for address, row in opened_rows if address is not None}
    added = 0
    for address, kind in wanted.items():
        row = have.get(address)
        if row is None:
            row = await get_by_address(session, channel, address)
        if row is None:
            session.add(
                Subscriber(
                    channel=channel,
                    **sealed_columns(session, channel, address),
                    kind=kind,
                    mirror=True,
                    state=SubscriberState.ACTIVE,
                    language="en",
                    unsubscribe_token=new_token(),
                    followed=[],
                    country_filter=[],
                )
            )
            added += 1
        elif row.state is not SubscriberState.ACTIVE or not row.mirror:
            row.state, row.mirror, row.kind = SubscriberState.ACTIVE, True, kind
            added += 1
    gone = [
        row.id
        for address, row in have.items()
        if address not in wanted and row.state is not SubscriberState.UNSUBSCRIBED
    ]
    await retire(session, gone, SubscriberState.UNSUBSCRIBED)
    await session.flush()
    return added, len(gone)
