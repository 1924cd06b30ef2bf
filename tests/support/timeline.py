"""Time test helpers: a clock the test moves, appeals with court dates, followers, notices."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from storage.enums import (
    AppealKind,
    AppealStatus,
    DeliveryPurpose,
    DeliveryState,
    EventKind,
    SubscriberState,
    Urgency,
)
from storage.models import (
    Appeal,
    AppealEvent,
    Case,
    Delivery,
    Subscriber,
    appeal_cases,
    subscriber_cases,
)
from storage.repo.subscribers import at_address, new_token
from storage.sealed import sealed_columns
from tests.support.bot import sessions_for


class MovableClock:
    """The service's one clock as a test moves it (aware, UTC): it shows what the test set,
    and goes on ticking from there as time passes (a delivery due in two seconds comes due),
    unless ``ticking`` is off."""

    def __init__(self, now: datetime | None = None, *, ticking: bool = True) -> None:
        self._ticking = ticking
        self.now = now or datetime(2027, 3, 1, tzinfo=UTC)

    @property
    def now(self) -> datetime:
        """Return what the clock shows."""
        if not self._ticking:
            return self._set
        return self._set + timedelta(seconds=time.monotonic() - self._since)

    @now.setter
    def now(self, moment: datetime) -> None:
        self._set, self._since = moment, time.monotonic()

    def __call__(self) -> datetime:
        return self.now

    def set(self, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
        """Set the clock to a UTC moment."""
        self.now = datetime(year, month, day, hour, minute, tzinfo=UTC)
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move the clock on."""
        self.now += timedelta(**delta)
        return self.now


_serial = iter(range(1, 10_000))


async def add_appeal(
    url: str,
    *,
    court: date | None = None,
    deadline: date | None = None,
    country: str = "KZ",
    case_id: int | None = None,
    parent_id: int | None = None,
    status: AppealStatus = AppealStatus.PUBLISHED,
    issued_on: date = date(2027, 3, 1),
    title: str = "Trial of a trade unionist",
    reminders: bool = True,
    kind: AppealKind = AppealKind.APPEAL,
) -> tuple[int, int]:
    """Insert an appeal about a new case (or ``case_id``), with a trial on ``court``."""
    n = next(_serial)
    async with sessions_for(url) as sessions, sessions.begin() as session:
        if case_id is None:
            case = Case(slug=f"timed-case-{n}", name=f"Aigul Timed {n}", country=country)
            session.add(case)
            await session.flush()
            case_id = case.id
        appeal = Appeal(
            slug=f"timed-appeal-{n}",
            title=f"{title} {n}",
            summary="A trade unionist faces trial for organising a strike.",
            status=status,
            urgency=Urgency.URGENT,
            issued_on=issued_on,
            deadline=deadline,
            parent_id=parent_id,
            kind=kind,
            reminders=reminders,
            published_at=datetime.combine(issued_on, datetime.min.time(), UTC)
            if status is AppealStatus.PUBLISHED
            else None,
        )
        session.add(appeal)
        await session.flush()
        await session.execute(insert(appeal_cases).values(appeal_id=appeal.id, case_id=case_id))
        if court is not None:
            session.add(
                AppealEvent(
                    appeal_id=appeal.id,
                    on_date=court,
                    kind=EventKind.TRIAL,
                    label=f"the trial of Aigul Timed {n}",
                )
            )
        return appeal.id, case_id


async def add_follower(
    url: str,
    case_ids: list[int],
    *,
    chat_id: int | None = None,
    email: str | None = None,
    timezone: str | None = None,
    digest: bool = False,
    digest_hour: int = 8,
    countries: tuple[str, ...] = (),
) -> int:
    """Insert an active subscriber following these cases; return its id."""
    from storage.models import SubscriberCountry

    async with sessions_for(url) as sessions, sessions.begin() as session:
        subscriber = Subscriber(
            channel="email" if email else "telegram",
            **sealed_columns(
                session,
                "email" if email else "telegram",
                email or (str(chat_id) if chat_id is not None else None),
            ),
            kind="private" if chat_id else None,
            state=SubscriberState.ACTIVE,
            unsubscribe_token=new_token(),
            timezone=timezone,
            digest=digest,
            digest_hour=digest_hour,
        )
        session.add(subscriber)
        await session.flush()
        for case_id in case_ids:
            await session.execute(
                insert(subscriber_cases).values(subscriber_id=subscriber.id, case_id=case_id)
            )
        for country in countries:
            session.add(SubscriberCountry(subscriber_id=subscriber.id, country=country))
        return subscriber.id


async def notices(url: str, purpose: DeliveryPurpose) -> list[dict[str, Any]]:
    """Return the rows of one purpose: who, which notice, late or not, state."""
    async with sessions_for(url) as sessions, sessions() as session:
        rows = await session.execute(
            select(
                Delivery.subscriber_id,
                Delivery.appeal_id,
                Delivery.notice,
                Delivery.late,
                Delivery.state,
            )
            .where(Delivery.purpose == purpose)
            .order_by(Delivery.id)
        )
        return [
            {"subscriber": r[0], "appeal": r[1], "notice": r[2], "late": r[3], "state": r[4]}
            for r in rows
        ]


async def deliveries_of(url: str, appeal_id: int) -> dict[int, DeliveryState]:
    """Return each subscriber's appeal delivery state for an appeal."""
    async with sessions_for(url) as sessions, sessions() as session:
        rows = await session.execute(
            select(Delivery.subscriber_id, Delivery.state).where(
                Delivery.appeal_id == appeal_id, Delivery.purpose == DeliveryPurpose.APPEAL
            )
        )
        return {row[0]: DeliveryState(row[1]) for row in rows if row[0] is not None}


async def deliveries_of_chat(url: str, chat_id: int) -> list[int]:
    """Return the appeals queued or sent to a Telegram chat."""
    async with sessions_for(url) as sessions, sessions() as session:
        rows = await session.scalars(
            select(Delivery.appeal_id)
            .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
            .where(at_address(session, "telegram", str(chat_id)))
        )
        return [appeal_id for appeal_id in rows if appeal_id is not None]


async def draft_appeal_and_update(url: str, title: str) -> tuple[int, int]:
    """Insert a draft appeal about a new case and a draft update of it; return their ids."""
    appeal_id, case_id = await add_appeal(url, status=AppealStatus.DRAFT, title=title)
    update_id, _ = await add_appeal(
        url,
        case_id=case_id,
        parent_id=appeal_id,
        status=AppealStatus.DRAFT,
        kind=AppealKind.UPDATE,
    )
    return appeal_id, update_id
