"""The timekeeper: reminders of court dates, deadline nudges, daily digests and sweeps.

Nothing is scheduled in memory. Each tick reads the database and the clock and queues what
is due now; every notice has a unique row, so a tick repeated, or run again after a restart,
queues nothing twice, and a tick after downtime catches up with what is still useful.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from bot.services.delivery_signals import DeliverySignals
from core.pseudonyms import Pseudonyms
from core.timing import UTC_ZONE, Clock, at_local, country_zone, local_day, zone_named
from storage.database import Database
from storage.items import SLOTS, Nudge, Reminder
from storage.models import Subscriber
from storage.repo.notices import (
    Follower,
    bundle_digest,
    court_dates,
    deadlines,
    digest_readers,
    followers,
    past_deadline_with_queue,
    prune,
    queue_notices,
    skip_past_deadline,
)
from storage.repo.protests import takers
from storage.repo.subscribers import expire_sign_ups

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Schedule:
    """When notices are due, in the reader's local time (else the case's)."""

    eve_hour: int = 18  # the evening before a court date
    morning_hour: int = 8  # the morning of it
    court_closes_hour: int = 17  # a reminder on the day is no use after this
    late_after: timedelta = timedelta(minutes=30)  # queued later than this: it says so
    nudge_before: timedelta = timedelta(hours=48)  # before the deadline ends
    keep_deliveries: timedelta = timedelta(days=365)
    keep_audit_details: timedelta = timedelta(days=365)
    confirm_for: timedelta = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Tick:
    """What one tick queued or sent."""

    reminders: int = 0
    nudges: int = 0
    digests: int = 0  # queued, each one row in the outbox
    stopped: int = 0  # deliveries of appeals whose deadline passed, no longer pushed


@dataclass(frozen=True, slots=True)
class Sweep:
    """What one sweep removed."""

    expired_sign_ups: int = 0
    deliveries: int = 0
    audit_details: int = 0


class Timekeeper:
    """Queue what is due by the clock; send digests; sweep old rows."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock,
        delivery: DeliverySignals,
        channels: Sequence[str],
        pseudonyms: Pseudonyms,
        schedule: Schedule | None = None,
        protests_on: Sequence[str] = (),
    ) -> None:
        self._pseudonyms = pseudonyms
        # Channels whose readers tell the bot they wrote (known by a keyed hash of address
        # and appeal): a nudge spares them.
        self._protests_on = frozenset(protests_on)
        self._db = db
        self._clock = clock
        self._delivery = delivery
        self._channels = tuple(channels)
        self.schedule = schedule or Schedule()

    async def tick(self) -> Tick:
        """Queue the reminders, nudges and digests due now; stop past deadlines."""
        now = self._clock()
        tick = Tick(
            reminders=await self._remind(now),
            nudges=await self._nudge(now),
            stopped=await self._stop_past_deadlines(now),
            digests=await self._queue_digests(now),
        )
        if tick.reminders or tick.nudges or tick.stopped or tick.digests:
            log.info(
                "timekeeper: %d reminders, %d nudges, %d digests queued; %d stopped",
                tick.reminders,
                tick.nudges,
                tick.digests,
                tick.stopped,
            )
        return tick

    # ---- court dates -------------------------------------------------------------------------

    async def _remind(self, now: datetime) -> int:
        schedule = self.schedule
        queued = 0
        async with self._db.unit() as unit:
            session = unit.session
            found = await court_dates(
                session,
                first=(now - timedelta(days=1)).date(),
                last=(now + timedelta(days=2)).date(),
            )
            for court in found:
                case_zone = country_zone(court.country)
                for slot in SLOTS:
                    item = Reminder(court.appeal_id, court.event_id, slot)
                    on_time: list[Follower] = []
                    late: list[Follower] = []
                    for follower in await followers(
                        session,
                        case_ids=court.case_ids,
                        channels=self._channels,
                        item=item,
                    ):
                        zone = zone_named(follower.timezone) or case_zone
                        eve = at_local(court.on_date - timedelta(days=1), schedule.eve_hour, zone)
                        morning = at_local(court.on_date, schedule.morning_hour, zone)
                        closes = at_local(court.on_date, schedule.court_closes_hour, zone)
                        # The evening reminder gives way to the morning one; that one is of no
                        # use once the court has risen.
                        due, useless_from = (eve, morning) if slot == "eve" else (morning, closes)
                        if due <= now < useless_from:
                            (late if now - due > schedule.late_after else on_time).append(follower)
                    for group, is_late in ((on_time, False), (late, True)):
                        queued += await queue_notices(
                            session,
                            item=replace(item, late=is_late),
                            to=group,
                            now=now,
                        )
            if queued:
                unit.after_commit(self._delivery.wake)
        return queued

    # ---- deadlines ---------------------------------------------------------------------------

    @staticmethod
    def _deadline_ends(day: date, country: str) -> datetime:
        # "Act by 5 March" holds until midnight where the case is.
        return at_local(day + timedelta(days=1), 0, country_zone(country))

    async def _nudge(self, now: datetime) -> int:
        queued = 0
        async with self._db.unit() as unit:
            session = unit.session
            found = await deadlines(
                session,
                first=(now - timedelta(days=1)).date(),
                last=(now + timedelta(days=3)).date(),
            )
            for appeal in found:
                ends = self._deadline_ends(appeal.deadline, appeal.country)
                if not ends - self.schedule.nudge_before <= now < ends:
                    continue
                candidates = await followers(
                    session,
                    case_ids=appeal.case_ids,
                    channels=self._channels,
                    item=Nudge(appeal.appeal_id),
                )
                # Those who said they wrote are known only by a keyed hash of chat and appeal.
                hashes = {
                    f.subscriber_id: self._pseudonyms.protest(int(f.address), appeal.appeal_id)
                    for f in candidates
                    if f.channel in self._protests_on
                    and f.address
                    and f.address.lstrip("-").isdigit()
                }
                acted = await takers(session, appeal.appeal_id, list(hashes.values()))
                to = [f for f in candidates if hashes.get(f.subscriber_id) not in acted]
                queued += await queue_notices(
                    session,
                    item=Nudge(appeal.appeal_id),
                    to=to,
                    now=now,
                )
            if queued:
                unit.after_commit(self._delivery.wake)
        return queued

    async def _stop_past_deadlines(self, now: datetime) -> int:
        async with self._db.unit() as unit:
            session = unit.session
            found = await past_deadline_with_queue(session, before=(now + timedelta(days=1)).date())
            stopped = 0
            for appeal in found:
                ended = self._deadline_ends(appeal.deadline, appeal.country)
                if ended <= now:
                    stopped += await skip_past_deadline(
                        session, appeal_id=appeal.appeal_id, ended=ended, reason="past its deadline"
                    )
            return stopped

    # ---- digests -----------------------------------------------------------------------------

    async def _queue_digests(self, now: datetime) -> int:
        """Queue each reader's digest that is due: one row in the outbox that carries what
        was held for them, sent (and never twice) like any other message."""
        async with self._db.read() as session:
            readers = await digest_readers(session)
        queued = 0
        for reader in readers:
            zone = zone_named(reader.timezone) or UTC_ZONE
            slot = at_local(local_day(now, zone), reader.digest_hour, zone)
            if now < slot or (reader.last_digest_at is not None and reader.last_digest_at >= slot):
                continue
            async with self._db.unit() as unit:
                subscriber = await unit.session.get(Subscriber, reader.subscriber_id)
                if subscriber is None or subscriber.channel not in self._channels:
                    continue
                if subscriber.last_digest_at is not None and subscriber.last_digest_at >= slot:
                    continue  # another process queued it meanwhile
                previous = subscriber.last_digest_at
                since = local_day(previous, zone) if previous else None
                digest = await bundle_digest(
                    unit.session,
                    subscriber,
                    since=since,
                    now=now,
                )
                if digest is None:
                    continue
                subscriber.last_digest_at = now
                unit.after_commit(self._delivery.wake)
            queued += 1
        return queued

    # ---- sweeps ------------------------------------------------------------------------------

    async def sweep(self) -> Sweep:
        """Forget unconfirmed sign-ups; delete old deliveries; clear old audit details."""
        now = self._clock()
        schedule = self.schedule
        async with self._db.unit() as unit:
            expired = await expire_sign_ups(unit.session, before=now - schedule.confirm_for)
            deliveries, audit = await prune(
                unit.session,
                deliveries_before=now - schedule.keep_deliveries,
                audit_before=now - schedule.keep_audit_details,
            )
        if expired or deliveries:
            log.info(
                "sweep: forgot %d unconfirmed sign-ups, deleted %d old deliveries",
                expired,
                deliveries,
            )
        return Sweep(expired, deliveries, audit)
