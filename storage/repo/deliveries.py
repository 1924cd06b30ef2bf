"""The outbox: fan-out, claiming due rows, recording outcomes, progress counts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Float,
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

from storage.db_time import db_now
from storage.enums import DeliveryPurpose, DeliveryState, SubscriberState
from storage.items import Item, Publication, Withdrawal, load, store
from storage.models import (
    Appeal,
    Delivery,
    Subscriber,
    SubscriberCountry,
    Worker,
    subscriber_cases,
)
from storage.repo.subscribers import at_address, retire
from storage.sealed import opened, sealed_columns
from storage.types import UTCDateTime


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery taken by a worker, with what it needs to send it."""

    id: int
    appeal_id: int | None
    subscriber_id: int | None
    channel: str
    attempts: int
    purpose: DeliveryPurpose = DeliveryPurpose.APPEAL
    address: str | None = None  # where it goes, when it goes to no subscriber
    item: Item | None = None  # what it is about (None: a row this version cannot read)


@dataclass(frozen=True, slots=True)
class Recipient:
    """Where a message goes, in the terms of its channel, and whether it still may."""

    subscriber_id: int | None
    channel: str
    address: str | None  # what the channel understands: a chat id, an email address, a room
    kind: str | None  # of address, as the channel tells them apart (Telegram: private, group)
    language: str
    state: SubscriberState | None  # None: not a subscriber (an admin, for one message)
    token: str | None = None  # the subscriber's unsubscribe token, for links in emails
    mirror: bool = False  # a place every published appeal is posted to
    reply_to: str | None = None  # a mirror's post of the appeal this one follows up

    def may_get(self, purpose: DeliveryPurpose) -> bool:
        """Tell whether a message of this purpose may still go to this recipient."""
        if self.address is None:
            return False
        if self.state is None:
            return True
        if purpose is DeliveryPurpose.CONFIRM:
            return self.state is SubscriberState.PENDING
        return self.state is SubscriberState.ACTIVE


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
    channels: Sequence[str],
    follows_up: Sequence[int] = (),
) -> int:
    """Queue the appeal for every matching active subscriber; return how many rows were new.

    A subscriber matches if it is a mirror, if it follows one of the appeal's cases, if it
    received one of the appeals this one ``follows_up`` (whatever its filters say today), or
    if the appeal passes its urgency choice and its country filter. Mirrors go first. Readers
    of the daily digest get the row held for it. Existing rows are left alone, so publishing
    twice queues nothing twice.
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
            and_(Subscriber.digest.is_(true()), Subscriber.mirror.is_(false())),
            literal(DeliveryState.HELD.value),
        ),
        else_=literal(DeliveryState.PENDING.value),
    )
    priority = case((Subscriber.mirror.is_(true()), literal(0)), else_=literal(1))
    mirror = Subscriber.mirror.is_(true())
    rows = select(
        literal(appeal_id),
        Subscriber.id,
        Subscriber.channel,
        state,
        priority,
        literal(0),
        db_now(),  # due now by the database's clock, the one the workers compare with
        literal(now, UTCDateTime()),
    ).where(
        Subscriber.state == SubscriberState.ACTIVE,
        Subscriber.channel.in_(list(channels)),
        or_(mirror, follows, wanted, received) if follows_up else or_(mirror, follows, wanted),
    )
    statement = (
        insert_ignoring_duplicates(session)
        .from_select(
            [
                "appeal_id",
                "subscriber_id",
                "channel",
                "state",
                "priority",
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
    lease: float,
    limit: int,
    worker: str,
    channels: Sequence[str] | None = None,
) -> list[Claimed]:
    """Take up to ``limit`` due rows for sending: first those whose worker's lease ran out,
    then the priority lane (mirrors, confirmations, admins' messages), then the rest; held
    for ``lease`` seconds (the database's: see ``db_now``).

    On PostgreSQL concurrent workers skip each other's rows (FOR UPDATE SKIP LOCKED); SQLite
    has one writer at a time, so the UPDATE itself is the lock. Each query walks the
    (state, priority, next_attempt_at) index, so a claim costs the same with 100 or 100,000
    rows due.
    """
    mine = true() if channels is None else Delivery.channel.in_(list(channels))
    # Only a dead worker's (one no longer among the workers, or none): a live one keeps
    # what it holds even if a step of the clock made its lease look old; never this one's.
    dead = or_(
        Delivery.claimed_by.is_(None),
        and_(Delivery.claimed_by != worker, Delivery.claimed_by.not_in(select(Worker.id))),
    )
    abandoned = and_(
        Delivery.state == DeliveryState.SENDING, Delivery.lease_until < db_now(), dead, mine
    )
    due = and_(Delivery.state == DeliveryState.PENDING, Delivery.next_attempt_at <= db_now(), mine)
    passes: list[tuple[ColumnElement[bool], Any]] = [
        (abandoned, None),
        (and_(due, Delivery.priority == 0), Delivery.next_attempt_at),
        (and_(due, Delivery.priority > 0), (Delivery.priority, Delivery.next_attempt_at)),
    ]
    claimed: list[Claimed] = []
    for condition, order in passes:
        if len(claimed) >= limit:
            break
        claimed += await _claim(
            session,
            condition,
            order,
            lease=lease,
            limit=limit - len(claimed),
            worker=worker,
        )
    return claimed


async def _claim(
    session: AsyncSession,
    condition: ColumnElement[bool],
    order: Any,
    *,
    lease: float,
    limit: int,
    worker: str,
) -> list[Claimed]:
    chosen = select(Delivery.id).where(condition).limit(limit).with_for_update(skip_locked=True)
    if order is not None:
        chosen = chosen.order_by(*(order if isinstance(order, tuple) else (order,)))
    statement = (
        update(Delivery)
        .where(Delivery.id.in_(chosen.scalar_subquery()))
        .values(
            state=DeliveryState.SENDING,
            lease_until=db_now(lease),
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
            Delivery.address_sealed,
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
                str(row[3]),
                row[4],
                DeliveryPurpose(row[5]),
                opened(session, str(row[3]), row[6]),
                load(DeliveryPurpose(row[5]), row[1], row[7] or "", bool(row[8])),
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
        Subscriber.address_sealed,
        Subscriber.kind,
        Subscriber.language,
        Subscriber.state,
        Subscriber.unsubscribe_token,
        Subscriber.mirror,
    ).where(Subscriber.id.in_(set(subscriber_ids)))
    return {
        row[0]: Recipient(
            subscriber_id=row[0],
            channel=str(row[1]),
            address=opened(session, str(row[1]), row[2]),
            kind=row[3],
            language=row[4],
            state=SubscriberState(row[5]),
            token=row[6],
            mirror=bool(row[7]),
        )
        for row in await session.execute(statement)
    }


@dataclass(frozen=True, slots=True)
class Threads:
    """Where follow-ups to mirrors go: the post each answers, and those that must wait."""

    posts: dict[int, str]  # by delivery id: the post of the first appeal of its thread
    waiting: set[int]  # delivery ids whose thread's earlier post is still going out


async def thread_posts(session: AsyncSession, rows: Sequence[tuple[int, int, int]]) -> Threads:
    """For (delivery id, appeal id, subscriber id) rows to mirrors, return the post of the
    first appeal of each one's thread (the appeal it follows up, and that one's own ...) as
    the mirror got it; a row whose thread still has a post going out to that mirror waits,
    so that a follow-up never overtakes what it answers."""
    found: dict[int, str] = {}
    waiting: set[int] = set()
    for delivery_id, appeal_id, subscriber_id in rows:
        chain: list[int] = []
        parent = await session.scalar(select(Appeal.parent_id).where(Appeal.id == appeal_id))
        while parent is not None and parent not in chain and len(chain) < 10:
            chain.append(parent)
            parent = await session.scalar(select(Appeal.parent_id).where(Appeal.id == parent))
        if chain and await session.scalar(
            select(Delivery.id).where(
                Delivery.appeal_id.in_(chain),
                Delivery.subscriber_id == subscriber_id,
                Delivery.purpose == DeliveryPurpose.APPEAL,
                Delivery.state.in_((DeliveryState.PENDING, DeliveryState.SENDING)),
            )
        ):
            waiting.add(delivery_id)
            continue
        for ancestor in reversed(chain):  # the first of the thread first
            post = await session.scalar(
                select(Delivery.external_id).where(
                    Delivery.appeal_id == ancestor,
                    Delivery.subscriber_id == subscriber_id,
                    Delivery.purpose == DeliveryPurpose.APPEAL,
                    Delivery.external_id.is_not(None),
                )
            )
            if post is not None:
                found[delivery_id] = post
                break
    return Threads(found, waiting)


async def give_back(
    session: AsyncSession, ids: Sequence[int], *, worker: str, after: float | None = None
) -> None:
    """Give a worker's claimed rows back unsent, without counting an attempt: to be tried
    ``after`` seconds (a thread's earlier post still going out), or at once (on shutdown, or
    when its hold lapsed). Rows another worker holds by now are left alone."""
    if ids:
        values: dict[str, Any] = {
            "state": DeliveryState.PENDING,
            "lease_until": None,
            "claimed_by": None,
            "attempts": Delivery.attempts - 1,
        }
        # Claimed because it was due, it is due again now (by the database's clock, which
        # may have stepped since the row was queued).
        values["next_attempt_at"] = db_now(after or 0.0)
        await session.execute(
            update(Delivery)
            .where(
                Delivery.id.in_(ids),
                Delivery.state == DeliveryState.SENDING,
                Delivery.claimed_by == worker,
            )
            .values(values)
            .execution_options(synchronize_session=False)
        )


async def record_outcomes(
    session: AsyncSession, changes: Sequence[dict[str, Any]], *, worker: str
) -> None:
    """Write many deliveries' new state at once (each dict carries its ``id``; a
    ``retry_in`` is seconds from the database's now).

    Only rows this worker still holds are written: one taken over by another worker (this
    one froze past its lease) is that worker's to record. A row that is gone (its subscriber
    asked to be forgotten meanwhile) is simply skipped.
    """
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        groups.setdefault(tuple(sorted(change)), []).append(change)
    table = cast(Table, Delivery.__table__)
    for keys, rows in groups.items():
        columns = [key for key in keys if key not in ("id", "retry_in")]
        values: dict[str, Any] = {key: bindparam(f"new_{key}") for key in columns}
        if "retry_in" in keys:
            values["next_attempt_at"] = db_now(bindparam("new_retry_in", type_=Float()))
            columns.append("retry_in")
        statement = (
            update(table)
            .where(
                table.c.id == bindparam("row_id"),
                table.c.claimed_by == worker,
                table.c.state == DeliveryState.SENDING,
            )
            .values(values)
        )
        params = [
            {"row_id": row["id"], **{f"new_{key}": row[key] for key in columns}} for row in rows
        ]
        await session.execute(statement, params)


async def subscribers_gone(
    session: AsyncSession, gone: Mapping[SubscriberState, Sequence[int]], *, reason: str
) -> None:
    """Mark subscribers as gone (a chat blocked, an address bounced: ``gone`` by the state
    each becomes), keeping only a count of them; drop what was queued."""
    ids = [subscriber_id for group in gone.values() for subscriber_id in group]
    if not ids:
        return
    for state, group in gone.items():
        await retire(session, group, state)
    await session.execute(
        update(Delivery)
        .where(Delivery.subscriber_id.in_(ids), Delivery.state == DeliveryState.PENDING)
        .values(state=DeliveryState.SKIPPED, last_error=reason)
        .execution_options(synchronize_session=False)
    )


async def move(session: AsyncSession, subscriber_id: int, address: str, kind: str | None) -> bool:
    """Point a subscriber at its new address (a group became a supergroup with a new id);
    False if that address is taken."""
    channel = await session.scalar(select(Subscriber.channel).where(Subscriber.id == subscriber_id))
    if channel is None:
        return False
    taken = await session.scalar(select(Subscriber.id).where(at_address(session, channel, address)))
    if taken is not None and taken != subscriber_id:
        return False
    await session.execute(
        update(Subscriber)
        .where(Subscriber.id == subscriber_id)
        .values(**sealed_columns(session, channel, address), kind=kind)
        .execution_options(synchronize_session=False)
    )
    return True


async def record_posts(session: AsyncSession, posts: Sequence[tuple[int, str]]) -> None:
    """Keep the id a channel gave each (delivery id, external id) post of a mirror or
    admin's progress message."""
    if posts:
        table = cast(Table, Delivery.__table__)
        await session.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(external_id=bindparam("post")),
            [{"row_id": row_id, "post": post} for row_id, post in posts],
        )


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
            Delivery.state.in_((DeliveryState.PENDING, DeliveryState.HELD, DeliveryState.AWAITING)),
        )
        .values(state=DeliveryState.SKIPPED, last_error=reason)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def hold_for_confirmation(session: AsyncSession, appeal_id: int) -> int:
    """Keep an appeal's queued messages from going out until a second admin confirms them;
    return how many wait."""
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.appeal_id == appeal_id,
            Delivery.purpose == DeliveryPurpose.APPEAL,
            Delivery.state == DeliveryState.PENDING,
        )
        .values(state=DeliveryState.AWAITING)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def release_confirmed(session: AsyncSession, appeal_id: int) -> int:
    """Let a confirmed broadcast's messages go out; return how many (0: none waited)."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.appeal_id == appeal_id, Delivery.state == DeliveryState.AWAITING)
        .values(state=DeliveryState.PENDING, next_attempt_at=db_now())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def requeue_failed(session: AsyncSession, appeal_id: int) -> int:
    """Queue an appeal's failed deliveries again, with fresh attempts; return how many.

    Only failed rows change: a delivery that went out is never queued twice.
    """
    result = await session.execute(
        update(Delivery)
        .where(Delivery.appeal_id == appeal_id, Delivery.state == DeliveryState.FAILED)
        .values(state=DeliveryState.PENDING, attempts=0, next_attempt_at=db_now(), lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def count_for_appeal(session: AsyncSession, appeal_id: int) -> int:
    """Return how many deliveries an appeal has, in any state."""
    statement = select(func.count()).select_from(Delivery).where(Delivery.appeal_id == appeal_id)
    return (await session.scalar(statement)) or 0


def direct_recipient(claimed: Claimed) -> Recipient:
    """Return where a delivery to someone who is not a subscriber goes."""
    return Recipient(
        subscriber_id=None,
        channel=claimed.channel,
        address=claimed.address,
        kind=None,
        language="en",
        state=None,
    )


async def queue_direct(
    session: AsyncSession,
    *,
    channel: str,
    addresses: Sequence[str],
    item: Item,
    now: datetime,
) -> int:
    """Queue an item, in the priority lane, to addresses that are not subscribers (an
    admin's review of a draft); return how many rows were new."""
    if not addresses:
        return 0
    stored = store(item)
    rows = [
        {
            "appeal_id": stored.appeal_id,
            "subscriber_id": None,
            **sealed_columns(session, channel, address),
            "channel": channel,
            "purpose": stored.purpose,
            "notice": stored.notice,
            "priority": 0,
            "state": DeliveryState.PENDING,
            "attempts": 0,
            "created_at": now,
        }
        for address in sorted(set(addresses))
    ]
    statement = (
        insert_ignoring_duplicates(session)
        .values(next_attempt_at=db_now())
        .on_conflict_do_nothing(index_elements=["appeal_id", "purpose", "address_hash"])
    )
    result = await session.execute(statement, rows)
    return int(getattr(result, "rowcount", 0) or 0)


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
    wanted: list[tuple[Item, int, str]] = [
        (Publication(appeal_id), subscriber_id, subscriber.channel)
        for appeal_id in appeal_ids
        if appeal_id not in had
    ]
    await queue_to_subscribers(session, wanted, now=now)
    return len(wanted)


async def queue_to_subscribers(
    session: AsyncSession,
    deliveries: Sequence[tuple[Item, int, str]],
    *,
    now: datetime,
    priority: int = 1,
    after: float = 0.0,
) -> None:
    """Queue (item, subscriber, channel) rows, to go ``after`` seconds by the database's
    clock (the one the workers compare with); rows already there stay."""
    if not deliveries:
        return
    rows = [
        {
            "appeal_id": stored.appeal_id,
            "subscriber_id": subscriber_id,
            "channel": channel,
            "purpose": stored.purpose,
            "notice": stored.notice,
            "late": stored.late,
            "priority": priority,
            "state": DeliveryState.PENDING,
            "attempts": 0,
            "created_at": now,
        }
        for stored, subscriber_id, channel in (
            (store(item), subscriber_id, channel) for item, subscriber_id, channel in deliveries
        )
    ]
    statement = (
        insert_ignoring_duplicates(session)
        .values(next_attempt_at=db_now(after))
        .on_conflict_do_nothing(index_elements=SUBSCRIBER_KEY)
    )
    await session.execute(statement, rows)


async def queue_withdrawals(
    session: AsyncSession, appeal_id: int, *, channels: Sequence[str], now: datetime
) -> int:
    """Queue an appeal's withdrawal to every mirror on ``channels`` (those that take back
    what they got) that was sent the appeal; return how many were queued."""
    if not channels:
        return 0
    got_it = (
        select(Delivery.subscriber_id)
        .where(
            Delivery.appeal_id == appeal_id,
            Delivery.purpose == DeliveryPurpose.APPEAL,
            Delivery.state == DeliveryState.SENT,
            Delivery.channel.in_(channels),
        )
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(Subscriber.id, Subscriber.channel).where(
                Subscriber.mirror.is_(True),
                Subscriber.state == SubscriberState.ACTIVE,
                Subscriber.channel.in_(channels),
                Subscriber.id.in_(got_it),
            )
        )
    ).all()
    withdrawal = Withdrawal(appeal_id)
    await queue_to_subscribers(
        session,
        [(withdrawal, subscriber_id, str(channel)) for subscriber_id, channel in rows],
        now=now,
        priority=0,
    )
    return len(rows)
