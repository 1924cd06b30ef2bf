"""Notices in time: court-date reminders, deadline nudges, digests, and pruning old rows.

Every notice is a delivery row with a unique key (appeal, subscriber, purpose, notice), so
queueing one again, after a restart or on the next tick, adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db_time import db_now
from storage.enums import (
    AppealStatus,
    DatePrecision,
    DeliveryPurpose,
    DeliveryState,
    EventKind,
    SubscriberState,
)
from storage.items import Digest, Nudge, Reminder, store
from storage.models import (
    Appeal,
    AppealEvent,
    AuditEntry,
    Case,
    Delivery,
    Subscriber,
    appeal_cases,
    subscriber_cases,
)
from storage.repo.deliveries import queue_to_subscribers
from storage.sealed import opened

COURT_DATES = (EventKind.HEARING, EventKind.TRIAL, EventKind.VERDICT)
PUSHED = (DeliveryPurpose.APPEAL, DeliveryPurpose.REMINDER, DeliveryPurpose.NUDGE)

# Not gone out yet: queued, held for a digest, or waiting for a second admin.
WAITING = (DeliveryState.PENDING, DeliveryState.HELD, DeliveryState.AWAITING)


@dataclass(frozen=True, slots=True)
class CourtDate:
    """A dated court event of a published appeal, and the cases it concerns."""

    event_id: int
    appeal_id: int
    on_date: date
    case_ids: tuple[int, ...]
    country: str  # the first case's, for its local time


@dataclass(frozen=True, slots=True)
class Deadline:
    """A published appeal's deadline, and its cases."""

    appeal_id: int
    deadline: date
    case_ids: tuple[int, ...]
    country: str


@dataclass(frozen=True, slots=True)
class Follower:
    """A subscriber who follows a case, with their chosen zone."""

    subscriber_id: int
    channel: str
    timezone: str | None
    address: str | None = None


async def _cases_of(session: AsyncSession, appeal_ids: Sequence[int]) -> dict[int, list[Case]]:
    statement = (
        select(appeal_cases.c.appeal_id, Case)
        .join(Case, Case.id == appeal_cases.c.case_id)
        .where(appeal_cases.c.appeal_id.in_(appeal_ids))
        .order_by(Case.id)
    )
    found: dict[int, list[Case]] = {}
    for appeal_id, case in (await session.execute(statement)).all():
        found.setdefault(appeal_id, []).append(case)
    return found


async def court_dates(session: AsyncSession, *, first: date, last: date) -> list[CourtDate]:
    """Return the court dates between two days of published appeals with reminders on."""
    statement = (
        select(AppealEvent.id, AppealEvent.appeal_id, AppealEvent.on_date, AppealEvent.case_id)
        .join(Appeal, Appeal.id == AppealEvent.appeal_id)
        .where(
            Appeal.status == AppealStatus.PUBLISHED,
            Appeal.reminders.is_(True),
            AppealEvent.kind.in_(COURT_DATES),
            AppealEvent.precision == DatePrecision.DAY,
            AppealEvent.on_date >= first,
            AppealEvent.on_date <= last,
        )
        .order_by(AppealEvent.on_date, AppealEvent.id)
    )
    rows = (await session.execute(statement)).all()
    cases = await _cases_of(session, sorted({row[1] for row in rows}))
    found = []
    for event_id, appeal_id, on_date, case_id in rows:
        of_appeal = cases.get(appeal_id, [])
        concerned = [c for c in of_appeal if case_id is None or c.id == case_id]
        if concerned:
            ids = tuple(c.id for c in concerned)
            found.append(CourtDate(event_id, appeal_id, on_date, ids, concerned[0].country))
    return found


async def deadlines(session: AsyncSession, *, first: date, last: date) -> list[Deadline]:
    """Return the deadlines between two days of published appeals."""
    statement = (
        select(Appeal.id, Appeal.deadline)
        .where(
            Appeal.status == AppealStatus.PUBLISHED,
            Appeal.deadline.is_not(None),
            Appeal.deadline >= first,
            Appeal.deadline <= last,
        )
        .order_by(Appeal.deadline, Appeal.id)
    )
    rows = (await session.execute(statement)).all()
    cases = await _cases_of(session, [row[0] for row in rows])
    return [
        Deadline(appeal_id, day, tuple(c.id for c in cases[appeal_id]), cases[appeal_id][0].country)
        for appeal_id, day in rows
        if cases.get(appeal_id) and day is not None
    ]


async def followers(
    session: AsyncSession,
    *,
    case_ids: Sequence[int],
    channels: Sequence[str],
    item: Reminder | Nudge,
) -> list[Follower]:
    """Return the active subscribers who follow one of the cases and have no such item yet."""
    stored = store(item)
    has_notice = exists().where(
        Delivery.appeal_id == stored.appeal_id,
        Delivery.subscriber_id == Subscriber.id,
        Delivery.purpose == stored.purpose,
        Delivery.notice == stored.notice,
    )
    statement = (
        select(Subscriber.id, Subscriber.channel, Subscriber.timezone, Subscriber.address_sealed)
        .where(
            Subscriber.state == SubscriberState.ACTIVE,
            Subscriber.channel.in_(list(channels)),
            exists().where(
                subscriber_cases.c.subscriber_id == Subscriber.id,
                subscriber_cases.c.case_id.in_(case_ids),
            ),
            ~has_notice,
        )
        .order_by(Subscriber.id)
    )
    rows = await session.execute(statement)
    return [
        Follower(row[0], str(row[1]), row[2], opened(session, str(row[1]), row[3])) for row in rows
    ]


async def queue_notices(
    session: AsyncSession,
    *,
    item: Reminder | Nudge,
    to: Sequence[Follower],
    now: datetime,
) -> int:
    """Queue the item for each of these subscribers, to go at once; return how many rows
    were new."""
    await queue_to_subscribers(
        session, [(item, follower.subscriber_id, follower.channel) for follower in to], now=now
    )
    return len(to)  # ``followers`` left out whoever had this notice already


async def skip_past_deadline(
    session: AsyncSession, *, appeal_id: int, ended: datetime, reason: str
) -> int:
    """Stop pushing an appeal whose deadline passed: what was queued before the end and has
    not gone out is skipped (an admin who sends it again afterwards means it)."""
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.appeal_id == appeal_id,
            Delivery.created_at < ended,
            Delivery.state.in_(WAITING),
            Delivery.purpose.in_(PUSHED),
        )
        .values(state=DeliveryState.SKIPPED, last_error=reason)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def past_deadline_with_queue(session: AsyncSession, *, before: date) -> list[Deadline]:
    """Return published appeals whose deadline is before a day and that still have rows queued."""
    queued = exists().where(
        Delivery.appeal_id == Appeal.id,
        Delivery.state.in_(WAITING),
        Delivery.purpose.in_(PUSHED),
    )
    statement = select(Appeal.id, Appeal.deadline).where(
        Appeal.status == AppealStatus.PUBLISHED,
        Appeal.deadline.is_not(None),
        Appeal.deadline < before,
        queued,
    )
    rows = (await session.execute(statement)).all()
    cases = await _cases_of(session, [row[0] for row in rows])
    return [
        Deadline(
            appeal_id,
            day,
            tuple(c.id for c in cases.get(appeal_id, [])),
            cases[appeal_id][0].country if cases.get(appeal_id) else "",
        )
        for appeal_id, day in rows
        if day is not None
    ]


@dataclass(frozen=True, slots=True)
class DigestReader:
    """An email subscriber with appeals held for their digest."""

    subscriber_id: int
    timezone: str | None
    digest_hour: int
    last_digest_at: datetime | None


async def digest_readers(session: AsyncSession) -> list[DigestReader]:
    """Return the active digest readers who have something held and not yet in a digest."""
    held = exists().where(
        Delivery.subscriber_id == Subscriber.id,
        Delivery.state == DeliveryState.HELD,
        Delivery.bundle_id.is_(None),
    )
    statement = (
        select(
            Subscriber.id, Subscriber.timezone, Subscriber.digest_hour, Subscriber.last_digest_at
        )
        .where(Subscriber.state == SubscriberState.ACTIVE, Subscriber.digest.is_(True), held)
        .order_by(Subscriber.id)
    )
    return [DigestReader(*row) for row in await session.execute(statement)]


async def bundle_digest(
    session: AsyncSession,
    subscriber: Subscriber,
    *,
    since: date | None,
    now: datetime,
) -> int | None:
    """Queue a reader's digest: one row that carries what is held for them (of appeals still
    published); return its id, or None when nothing is held."""
    statement = (
        select(Delivery.id)
        .join(Appeal, Appeal.id == Delivery.appeal_id)
        .where(
            Delivery.subscriber_id == subscriber.id,
            Delivery.state == DeliveryState.HELD,
            Delivery.bundle_id.is_(None),
            Appeal.status == AppealStatus.PUBLISHED,
        )
    )
    held = list(await session.scalars(statement))
    if not held:
        return None
    stored = store(Digest(since))
    digest = Delivery(
        appeal_id=None,
        subscriber_id=subscriber.id,
        channel=subscriber.channel,
        purpose=stored.purpose,
        notice=stored.notice,
        state=DeliveryState.PENDING,
        attempts=0,
        next_attempt_at=db_now(),
        created_at=now,
    )
    session.add(digest)
    await session.flush()
    await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(held))
        .values(bundle_id=digest.id)
        .execution_options(synchronize_session=False)
    )
    return digest.id


async def bundled(session: AsyncSession, digest_id: int) -> list[int]:
    """Return the appeals a digest carries (and still holds: not withdrawn since), oldest
    first."""
    statement = (
        select(Delivery.appeal_id)
        .where(
            Delivery.bundle_id == digest_id,
            Delivery.state == DeliveryState.HELD,
            Delivery.appeal_id.is_not(None),
        )
        .order_by(Delivery.created_at, Delivery.id)
    )
    return [appeal_id for appeal_id in await session.scalars(statement) if appeal_id is not None]


async def settle_bundles(
    session: AsyncSession, outcomes: Sequence[tuple[int, DeliveryState]], *, now: datetime
) -> None:
    """What became of a digest becomes of the rows it carries (sent, failed, skipped); a
    digest to be tried again leaves them held."""
    for digest_id, state in outcomes:
        if state not in (DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.SKIPPED):
            continue
        await session.execute(
            update(Delivery)
            .where(Delivery.bundle_id == digest_id, Delivery.state == DeliveryState.HELD)
            .values(
                state=state,
                sent_at=now if state is DeliveryState.SENT else None,
                last_error=None if state is DeliveryState.SENT else f"its digest {state.value}",
                attempts=Delivery.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )


async def prune(
    session: AsyncSession, *, deliveries_before: datetime, audit_before: datetime
) -> tuple[int, int]:
    """Delete finished deliveries and clear audit details older than their retention."""
    finished = (DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.SKIPPED)
    removed = await session.execute(
        delete(Delivery)
        .where(
            Delivery.state.in_(finished),
            or_(
                and_(Delivery.sent_at.is_not(None), Delivery.sent_at < deliveries_before),
                and_(Delivery.sent_at.is_(None), Delivery.created_at < deliveries_before),
            ),
        )
        .execution_options(synchronize_session=False)
    )
    cleared = await session.execute(
        update(AuditEntry)
        .where(AuditEntry.at < audit_before)
        .values(detail={})
        .execution_options(synchronize_session=False)
    )
    return (
        int(getattr(removed, "rowcount", 0) or 0),
        int(getattr(cleared, "rowcount", 0) or 0),
    )


async def release_held(session: AsyncSession, subscriber_id: int) -> int:
    """Send at once what was held for a subscriber's digest (they left the digest), but for
    what a digest already carries."""
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.subscriber_id == subscriber_id,
            Delivery.state == DeliveryState.HELD,
            Delivery.bundle_id.is_(None),
        )
        .values(state=DeliveryState.PENDING, next_attempt_at=db_now())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
