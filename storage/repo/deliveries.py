"""The outbox: fan-out, claiming due rows, recording outcomes, progress counts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.enums import Channel, DeliveryPurpose, DeliveryState, SubscriberState
from storage.models import Delivery, Subscriber, SubscriberCountry, subscriber_cases
from storage.repo.subscribers import retire
from storage.types import UTCDateTime


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery taken by a worker, with what it needs to send it."""

    id: int
    appeal_id: int
    subscriber_id: int | None
    channel: Channel
    attempts: int
    purpose: DeliveryPurpose = DeliveryPurpose.APPEAL
    chat_id: int | None = None
    notice: str = ""
    late: bool = False


@dataclass(frozen=True, slots=True)
class Recipient:
    """Where a subscriber receives messages (and whether it still does)."""

    subscriber_id: int | None
    channel: Channel
    chat_id: int | None
    chat_type: str | None
    email: str | None
    language: str
    active: bool
    token: str | None = None  # the subscriber's unsubscribe token, for links in emails


# The unique key of a delivery to a subscriber: one of each notice of each purpose.
SUBSCRIBER_KEY = ["appeal_id", "subscriber_id", "channel", "purpose", "notice"]


def insert_ignoring_duplicates(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(Delivery)


async def fan_out(
    session: AsyncSession,
    *,
    appeal_id: int,
    case_ids: Sequence[int],
    countries: Sequence[str],
    urgent: bool,
    now: datetime,
    channels: Sequence[Channel] = (Channel.TELEGRAM,),
    follows_up: Sequence[int] = (),
) -> int:
    """Queue the appeal for every matching active subscriber; return how many rows were new.

    A subscriber matches if it follows one of the appeal's cases, if it received one of the
    appeals this one ``follows_up`` (whatever its filters say today), or if the appeal passes
    its urgency choice and its country filter. Email readers of the daily digest get the row
    held for it. Existing rows are left alone, so publishing twice queues nothing twice.
    """
    follows = exists().where(
        subscriber_cases.c.subscriber_id == Subscriber.id,
        subscriber_cases.c.case_id.in_(case_ids),
    )
    filtered = exists().where(SubscriberCountry.subscriber_id == Subscriber.id)
    in_country = exists().where(
        SubscriberCountry.subscriber_id == Subscriber.id,
        SubscriberCountry.country.in_(countries),
    )
    urgency_ok = true() if urgent else Subscriber.urgent_only.is_(false())
    wanted = and_(urgency_ok, or_(~filtered, in_country))
    received = exists().where(
        Delivery.subscriber_id == Subscriber.id,
        Delivery.appeal_id.in_(follows_up),
        Delivery.purpose == DeliveryPurpose.APPEAL,
        Delivery.state.in_((DeliveryState.SENT, DeliveryState.HELD)),
    )
    state = case(
        (
            and_(Subscriber.channel == Channel.EMAIL, Subscriber.digest.is_(true())),
            literal(DeliveryState.HELD.value),
        ),
        else_=literal(DeliveryState.PENDING.value),
    )
    rows = select(
        literal(appeal_id),
        Subscriber.id,
        Subscriber.channel,
        state,
        literal(0),
        literal(now, UTCDateTime()),
        literal(now, UTCDateTime()),
    ).where(
        Subscriber.state == SubscriberState.ACTIVE,
        Subscriber.channel.in_(channels),
        or_(follows, wanted, received) if follows_up else or_(follows, wanted),
    )
    statement = (
        insert_ignoring_duplicates(session)
        .from_select(
            [
                "appeal_id",
                "subscriber_id",
                "channel",
                "state",
                "attempts",
                "next_attempt_at",
                "created_at",
            ],
            rows,
        )
        .on_conflict_do_nothing(index_elements=SUBSCRIBER_KEY)
    )
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    lease_until: datetime,
    limit: int,
    worker: str,
    channels: Sequence[Channel] | None = None,
) -> list[Claimed]:
    """Take up to ``limit`` due rows (first those whose worker's lease ran out) for sending.

    On PostgreSQL concurrent workers skip each other's rows (FOR UPDATE SKIP LOCKED); SQLite
    has one writer at a time, so the UPDATE itself is the lock. Each of the two queries walks
    the (state, next_attempt_at) index, so a claim costs the same with 100 or 100,000 rows due.
    """
    mine = true() if channels is None else Delivery.channel.in_(list(channels))
    abandoned = and_(Delivery.state == DeliveryState.SENDING, Delivery.lease_until < now, mine)
    claimed = await _claim(
        session, abandoned, None, lease_until=lease_until, limit=limit, worker=worker
    )
    if len(claimed) < limit:
        due = and_(Delivery.state == DeliveryState.PENDING, Delivery.next_attempt_at <= now, mine)
        claimed += await _claim(
            session,
            due,
            Delivery.next_attempt_at,
            lease_until=lease_until,
            limit=limit - len(claimed),
            worker=worker,
        )
    return claimed


async def _claim(
    session: AsyncSession,
    condition: ColumnElement[bool],
    order: Any,
    *,
    lease_until: datetime,
    limit: int,
    worker: str,
) -> list[Claimed]:
    chosen = select(Delivery.id).where(condition).limit(limit).with_for_update(skip_locked=True)
    if order is not None:
        chosen = chosen.order_by(order)
    statement = (
        update(Delivery)
        .where(Delivery.id.in_(chosen.scalar_subquery()))
        .values(
            state=DeliveryState.SENDING,
            lease_until=lease_until,
            claimed_by=worker,
            attempts=Delivery.attempts + 1,
        )
        .returning(
            Delivery.id,
            Delivery.appeal_id,
            Delivery.subscriber_id,
            Delivery.channel,
            Delivery.attempts,
            Delivery.purpose,
            Delivery.chat_id,
            Delivery.notice,
            Delivery.late,
        )
        .execution_options(synchronize_session=False)
    )
    rows = (await session.execute(statement)).all()
    return sorted(
        (
            Claimed(
                row[0],
                row[1],
                row[2],
                Channel(row[3]),
                row[4],
                DeliveryPurpose(row[5]),
                row[6],
                row[7] or "",
                bool(row[8]),
            )
            for row in rows
        ),
        key=lambda claimed: claimed.id,
    )


async def recipients(session: AsyncSession, subscriber_ids: Iterable[int]) -> dict[int, Recipient]:
    """Return where each subscriber receives messages."""
    statement = select(
        Subscriber.id,
        Subscriber.channel,
        Subscriber.chat_id,
        Subscriber.chat_type,
        Subscriber.email,
        Subscriber.language,
        Subscriber.state,
        Subscriber.unsubscribe_token,
    ).where(Subscriber.id.in_(set(subscriber_ids)))
    found = {}
    for row in await session.execute(statement):
        found[row[0]] = Recipient(
            subscriber_id=row[0],
            channel=Channel(row[1]),
            chat_id=row[2],
            chat_type=row[3],
            email=row[4],
            language=row[5],
            active=row[6] == SubscriberState.ACTIVE,
            token=row[7],
        )
    return found


async def record_outcomes(session: AsyncSession, changes: Sequence[dict[str, Any]]) -> None:
    """Write many deliveries' new state at once (each dict carries its ``id``).

    A row that is gone (its subscriber asked to be forgotten meanwhile) is simply skipped.
    """
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        groups.setdefault(tuple(sorted(change)), []).append(change)
    table = cast(Table, Delivery.__table__)
    for keys, rows in groups.items():
        columns = [key for key in keys if key != "id"]
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values({key: bindparam(f"new_{key}") for key in columns})
        )
        params = [
            {"row_id": row["id"], **{f"new_{key}": row[key] for key in columns}} for row in rows
        ]
        await session.execute(statement, params)


async def release(session: AsyncSession, ids: Sequence[int]) -> None:
    """Give claimed rows back unsent (on shutdown), without counting an attempt."""
    if ids:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.state == DeliveryState.SENDING)
            .values(
                state=DeliveryState.PENDING,
                lease_until=None,
                claimed_by=None,
                attempts=Delivery.attempts - 1,
            )
            .execution_options(synchronize_session=False)
        )


async def subscribers_gone(
    session: AsyncSession, subscriber_ids: Sequence[int], *, reason: str
) -> None:
    """Mark subscribers as gone (a chat blocked, an address bounced), keeping only a count
    of them; drop what was queued."""
    if not subscriber_ids:
        return
    channels = await session.execute(
        select(Subscriber.id, Subscriber.channel).where(Subscriber.id.in_(subscriber_ids))
    )
    by_state: dict[SubscriberState, list[int]] = {}
    for subscriber_id, channel in channels:
        state = SubscriberState.BOUNCED if channel == Channel.EMAIL else SubscriberState.BLOCKED
        by_state.setdefault(state, []).append(subscriber_id)
    for state, ids in by_state.items():
        await retire(session, ids, state)
    await session.execute(
        update(Delivery)
        .where(Delivery.subscriber_id.in_(subscriber_ids), Delivery.state == DeliveryState.PENDING)
        .values(state=DeliveryState.SKIPPED, last_error=reason)
        .execution_options(synchronize_session=False)
    )


async def move_chat(session: AsyncSession, subscriber_id: int, new_chat_id: int) -> bool:
    """Point a subscriber at the supergroup its group became; False if that chat is taken."""
    taken = await session.scalar(select(Subscriber.id).where(Subscriber.chat_id == new_chat_id))
    if taken is not None and taken != subscriber_id:
        return False
    await session.execute(
        update(Subscriber)
        .where(Subscriber.id == subscriber_id)
        .values(chat_id=new_chat_id, chat_type="supergroup")
        .execution_options(synchronize_session=False)
    )
    return True


async def state_counts(session: AsyncSession, appeal_id: int) -> dict[DeliveryState, int]:
    """Count an appeal's deliveries by state."""
    statement = (
        select(Delivery.state, func.count())
        .where(Delivery.appeal_id == appeal_id)
        .group_by(Delivery.state)
    )
    return {DeliveryState(row[0]): int(row[1]) for row in await session.execute(statement)}


async def cancel_pending(session: AsyncSession, appeal_id: int, *, reason: str) -> int:
    """Skip every delivery of an appeal that has not gone out yet; return how many."""
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.appeal_id == appeal_id,
            Delivery.state.in_((DeliveryState.PENDING, DeliveryState.HELD)),
        )
        .values(state=DeliveryState.SKIPPED, last_error=reason)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def requeue_failed(session: AsyncSession, appeal_id: int, *, now: datetime) -> int:
    """Queue an appeal's failed deliveries again, with fresh attempts; return how many.

    Only failed rows change: a delivery that went out is never queued twice.
    """
    result = await session.execute(
        update(Delivery)
        .where(Delivery.appeal_id == appeal_id, Delivery.state == DeliveryState.FAILED)
        .values(state=DeliveryState.PENDING, attempts=0, next_attempt_at=now, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def count_for_appeal(session: AsyncSession, appeal_id: int) -> int:
    """Return how many deliveries an appeal has, in any state."""
    statement = select(func.count()).select_from(Delivery).where(Delivery.appeal_id == appeal_id)
    return (await session.scalar(statement)) or 0


def direct_recipient(claimed: Claimed) -> Recipient:
    """Return where a delivery to a chat that is not a subscriber goes."""
    return Recipient(
        subscriber_id=None,
        channel=claimed.channel,
        chat_id=claimed.chat_id,
        chat_type="channel" if claimed.purpose is DeliveryPurpose.CHANNEL else "private",
        email=None,
        language="en",
        active=True,
    )


async def queue_direct(
    session: AsyncSession,
    *,
    appeal_id: int,
    chat_ids: Sequence[int],
    purpose: DeliveryPurpose,
    next_attempt_at: datetime,
) -> int:
    """Queue a message to chats that are not subscribers (a thank-you to a protester, the
    channel mirror's post); return how many rows were new."""
    if not chat_ids:
        return 0
    rows = [
        {
            "appeal_id": appeal_id,
            "subscriber_id": None,
            "chat_id": chat_id,
            "channel": Channel.TELEGRAM,
            "purpose": purpose,
            "state": DeliveryState.PENDING,
            "attempts": 0,
            "next_attempt_at": next_attempt_at,
            "created_at": next_attempt_at,
        }
        for chat_id in sorted(set(chat_ids))
    ]
    statement = insert_ignoring_duplicates(session).on_conflict_do_nothing(
        index_elements=["appeal_id", "purpose", "chat_id"]
    )
    before = await count_for_appeal(session, appeal_id)
    await session.execute(statement, rows)
    return await count_for_appeal(session, appeal_id) - before


async def queue_each(
    session: AsyncSession, *, subscriber_id: int, appeal_ids: Sequence[int], now: datetime
) -> int:
    """Queue these appeals for one subscriber, leaving out what it already has."""
    subscriber = await session.get(Subscriber, subscriber_id)
    if subscriber is None or not appeal_ids:
        return 0
    had = set(
        await session.scalars(
            select(Delivery.appeal_id).where(
                Delivery.subscriber_id == subscriber_id,
                Delivery.purpose == DeliveryPurpose.APPEAL,
                Delivery.appeal_id.in_(appeal_ids),
            )
        )
    )
    wanted = [
        (appeal_id, subscriber_id, subscriber.channel)
        for appeal_id in appeal_ids
        if appeal_id not in had
    ]
    await queue_to_subscribers(session, wanted, purpose=DeliveryPurpose.APPEAL, now=now)
    return len(wanted)


async def queue_to_subscribers(
    session: AsyncSession,
    deliveries: Sequence[tuple[int, int, Channel]],
    *,
    purpose: DeliveryPurpose,
    now: datetime,
    notice: str = "",
    late: bool = False,
) -> None:
    """Queue (appeal, subscriber, channel) rows of one purpose; rows already there stay."""
    if not deliveries:
        return
    rows = [
        {
            "appeal_id": appeal_id,
            "subscriber_id": subscriber_id,
            "channel": channel,
            "purpose": purpose,
            "notice": notice,
            "late": late,
            "state": DeliveryState.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for appeal_id, subscriber_id, channel in deliveries
    ]
    statement = insert_ignoring_duplicates(session).on_conflict_do_nothing(
        index_elements=SUBSCRIBER_KEY
    )
    await session.execute(statement, rows)
