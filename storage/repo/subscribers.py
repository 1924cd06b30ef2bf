"""Queries and changes for subscribers."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.database import erased
from storage.enums import Channel, SubscriberState
from storage.models import Case, Subscriber, SubscriberCountry, subscriber_cases


def new_token() -> str:
    """Return a random, unguessable token for confirm and unsubscribe links."""
    return secrets.token_urlsafe(24)


async def get_by_chat(session: AsyncSession, chat_id: int) -> Subscriber | None:
    """Return the Telegram subscriber for a chat, with the cases it follows."""
    statement = (
        select(Subscriber)
        .where(Subscriber.chat_id == chat_id)
        .options(selectinload(Subscriber.followed), selectinload(Subscriber.country_filter))
    )
    return (await session.scalars(statement)).one_or_none()


async def chat_languages(session: AsyncSession) -> dict[int, str]:
    """Return the language of every subscribed chat, by chat id."""
    statement = select(Subscriber.chat_id, Subscriber.language).where(
        Subscriber.chat_id.is_not(None), Subscriber.state == SubscriberState.ACTIVE
    )
    return {chat: language for chat, language in await session.execute(statement) if chat}


async def subscribe_chat(
    session: AsyncSession, *, chat_id: int, chat_type: str, language: str
) -> tuple[Subscriber, bool]:
    """Make a chat an active subscriber; return it and whether it was not active before."""
    subscriber = await get_by_chat(session, chat_id)
    if subscriber is None:
        subscriber = Subscriber(
            channel=Channel.TELEGRAM,
            chat_id=chat_id,
            chat_type=chat_type,
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
    subscriber.chat_type = chat_type
    await session.flush()
    return subscriber, not was_active


async def retire(
    session: AsyncSession, subscriber_ids: Sequence[int], state: SubscriberState
) -> None:
    """Keep of subscribers who left only a count: no chat id, no address, no choices.

    The row stays (anonymous, in its state) so that figures add up; what was queued for it
    is skipped when its turn comes.
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
        .values(state=state, chat_id=None, email=None, timezone=None, confirm_token=None)
        .execution_options(synchronize_session=False)
    )
    for subscriber in list(session.identity_map.values()):
        if isinstance(subscriber, Subscriber) and subscriber.id in ids:
            session.expire(subscriber)


async def leave_chat(session: AsyncSession, chat_id: int, state: SubscriberState) -> bool:
    """Retire a chat's subscription; return False if it was not subscribed."""
    subscriber = await get_by_chat(session, chat_id)
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


async def get_by_email(session: AsyncSession, email: str) -> Subscriber | None:
    """Return the email subscriber with this address."""
    return await session.scalar(select(Subscriber).where(Subscriber.email == email))


async def get_by_confirm_token(session: AsyncSession, token: str) -> Subscriber | None:
    """Return the sign-up waiting for this confirmation token."""
    return await session.scalar(select(Subscriber).where(Subscriber.confirm_token == token))


async def get_by_unsubscribe_token(session: AsyncSession, token: str) -> Subscriber | None:
    """Return the subscriber whose unsubscribe (and settings) links carry this token."""
    statement = (
        select(Subscriber)
        .where(Subscriber.unsubscribe_token == token)
        .options(selectinload(Subscriber.followed), selectinload(Subscriber.country_filter))
    )
    return (await session.scalars(statement)).one_or_none()


async def set_filters(
    session: AsyncSession, subscriber: Subscriber, *, countries: list[str], cases: list[Case]
) -> None:
    """Replace what a subscriber limits appeals to (countries) and the cases it follows."""
    subscriber.country_filter = [SubscriberCountry(country=code) for code in sorted(set(countries))]
    subscriber.followed = list({case.id: case for case in cases}.values())
    await session.flush()


async def sign_up_email(
    session: AsyncSession, *, email: str, language: str, now: datetime
) -> tuple[Subscriber, bool]:
    """Record an email sign-up waiting for confirmation; return it and whether it is new.

    An address that unsubscribed or bounced starts again as a new sign-up.
    """
    subscriber = await get_by_email(session, email)
    if subscriber is None:
        subscriber = Subscriber(
            channel=Channel.EMAIL,
            email=email,
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
    """Forget email sign-ups never confirmed since ``before``; return how many."""
    erased(session)
    result = await session.execute(
        delete(Subscriber).where(
            Subscriber.channel == Channel.EMAIL,
            Subscriber.state == SubscriberState.PENDING,
            Subscriber.created_at < before,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
