"""The delivery engine: claim due rows, send them through their channel, record each outcome.

Each channel has a lane of its own, sized from its pace: a dispatcher that claims that
channel's rows in batches, and as many senders as the channel takes at once; one recorder
writes every lane's outcomes in small, frequent transactions. A channel's backlog or a hung
relay fills only its own lane: Telegram's first message never waits behind 8,000 e-mails.
Rows claimed but not yet recorded are "in flight"; their number is capped per lane, and it
is the most that can be sent twice if the process is killed.

Each engine is a worker with an identity and a heartbeat. Its claims carry its id and a
short lease that the heartbeat renews; when a worker stops beating (killed, frozen, cut off),
another one frees its claims within seconds, and they go out from there. Every time shared
between workers (heartbeats, leases, when a row is due) is the database's, written in the
statement: a worker whose clock is off by hours takes nothing from the others. A worker
sends a row only while its own heartbeat is recent enough that nobody can have taken the row
over (a worker that wakes from a freeze gives back what it held, unsent), and records an
outcome only for a row it still holds.

Telegram's limits are per bot, not per process: of several workers sharing one database, one
at a time holds the role of sending to Telegram (a lease the heartbeat renews), so that
together they never exceed one token's budget; every worker sends email. When the holder
dies, another takes the role within seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.channels import Courier, Message, Outcome, SendResult
from bot.delivery.engine_config import EngineConfig, EngineStats, LaneSize
from bot.delivery.policy import Decision, SubscriberChange, decide
from bot.logs import Repeating
from core.errors import DatabaseUnwritableError
from core.timing import Clock
from storage.database import Database
from storage.enums import DeliveryState, SubscriberState
from storage.items import Digest, ProgressMessage, Withdrawal
from storage.repo import workers
from storage.repo.deliveries import (
    Claimed,
    Recipient,
    claim_due,
    direct_recipient,
    give_back,
    move,
    recipients,
    record_outcomes,
    record_posts,
    subscribers_gone,
    thread_posts,
)
from storage.repo.notices import settle_bundles

log = logging.getLogger(__name__)

RECORDER_LONGEST_PAUSE = 5.0  # between tries of a failing write of outcomes
RECORDER_STUCK_AFTER = 30.0  # failing this long, the engine no longer counts as alive


class Messages(Protocol):
    """What the engine asks to have written: a claimed item, rendered for its channel."""

    def prepare(self) -> None:
        """Get ready to render, so the first message is not held up."""

    async def get(self, claimed: Claimed, recipient: Recipient | None) -> Message | None:
        """Return what a claimed delivery says (None: nothing to send)."""

    def forget(self, appeal_id: int) -> None:
        """Drop what was rendered of an appeal (edited or withdrawn)."""


@dataclass(slots=True)
class _Job:
    claimed: Claimed
    recipient: Recipient | None
    message: Message | None
    claimed_at: float  # monotonic, once its claim was committed


@dataclass(slots=True)
class _Lane:
    """One channel's share of the engine: its claims, its queue, its senders."""

    name: str
    size: LaneSize
    queue: asyncio.Queue[_Job] = field(default_factory=asyncio.Queue)
    in_flight: dict[int, _Job] = field(default_factory=dict)  # claimed, not yet recorded
    capacity: asyncio.Event = field(default_factory=asyncio.Event)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    dispatcher: asyncio.Task[None] | None = None
    senders: list[asyncio.Task[None]] = field(default_factory=list)


def worker_name() -> str:
    """Name this process in the workers table: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class DeliveryEngine:
    """Send every due delivery exactly once, surviving crashes, 429s and gone subscribers."""

    def __init__(
        self,
        *,
        db: Database,
        channels: Mapping[str, Courier],
        messages: Messages,
        clock: Clock,
        config: EngineConfig | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._channels = dict(channels)
        self._messages = messages
        self.config = config or EngineConfig()
        self._clock = clock
        self._monotonic = monotonic
        self.worker_id = ""
        self._lanes = {
            name: _Lane(name, self.config.lane(channel.pace))
            for name, channel in self._channels.items()
        }
        self._results: asyncio.Queue[tuple[_Job, SendResult]] = asyncio.Queue()
        self._current: dict[asyncio.Task[None], _Job] = {}  # what each sender is doing
        self._on_wire: set[int] = set()
        self._wire_clear = asyncio.Event()
        self._wire_clear.set()
        self._abandoned: list[int] = []
        self._lapsed: list[int] = []  # given back unsent: this worker's hold was in doubt
        self._beat_ok_at = 0.0  # monotonic: when the last heartbeat that got through began
        self._owned: set[int] = set()  # the rows that heartbeat found still this worker's
        self._progress_at = 0.0  # monotonic: the last claim or record that got through
        self._beat_failures = Repeating(log)
        self._unwritable = False  # the last write failed because the database takes none
        self._claim_failures = Repeating(log)
        self._withdrawn: set[int] = set()
        self._recorder_failing_since: float | None = None
        self._grace = 5.0
        self._stopping = False
        self._closing = False
        self._recorder: asyncio.Task[None] | None = None
        self._heart: asyncio.Task[None] | None = None
        self._beats_stop = asyncio.Event()
        self._held: set[str] = set()  # channels of an exclusive role this worker holds now
        self.stats = EngineStats()

    # ---- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Register as a worker, open the channels and start the tasks."""
        self._stopping = self._closing = False
        self.worker_id = str(uuid.uuid4())
        started = self._monotonic()
        async with self._db.unit() as unit:
            await workers.register(unit.session, worker_id=self.worker_id, name=worker_name())
            await self._hold_roles(unit.session)
        self._beat_ok_at = self._progress_at = started
        for channel in self._channels.values():
            await channel.start()
        self._messages.prepare()
        self._recorder = asyncio.create_task(self._record_loop(), name="delivery-recorder")
        self._beats_stop = asyncio.Event()
        self._heart = asyncio.create_task(self._heartbeat_loop(), name="delivery-heartbeat")
        for lane in self._lanes.values():
            lane.senders = [
                asyncio.create_task(self._send_loop(lane), name=f"delivery-{lane.name}-{n}")
                for n in range(lane.size.senders)
            ]
            lane.dispatcher = asyncio.create_task(
                self._dispatch_loop(lane), name=f"delivery-{lane.name}-dispatcher"
            )

    async def stop(self, *, grace: float = 5.0) -> None:
        """Stop claiming; give back at once what was not yet sent; let sends on the wire
        finish (``grace`` seconds at most); record every outcome; leave the workers table.

        Rows whose send was cut short stay claimed: nobody knows whether Telegram got them,
        so they go out again only when their lease runs out.
        """
        self._grace = grace
        self._stopping = True
        lanes = list(self._lanes.values())
        for lane in lanes:
            lane.wake.set()
            lane.capacity.set()
        # Not cancelled: a claim cut short after its commit would strand its rows.
        await asyncio.gather(*(lane.dispatcher for lane in lanes if lane.dispatcher is not None))
        unsent: list[int] = []
        for lane in lanes:
            lane.dispatcher = None
            while not lane.queue.empty():
                unsent.append(lane.queue.get_nowait().claimed.id)
        # Senders still waiting for their turn give their rows back now.
        waiting = [t for t, job in self._current.items() if job.claimed.id not in self._on_wire]
        for task in waiting:
            task.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wire_clear.wait(), timeout=grace)
        senders = [task for lane in lanes for task in lane.senders]
        for task in senders:
            task.cancel()
        await asyncio.gather(*senders, return_exceptions=True)
        for lane in lanes:
            lane.senders = []
        if self._heart is not None:
            self._beats_stop.set()
            await asyncio.gather(self._heart, return_exceptions=True)
            self._heart = None
        if self._recorder is not None:
            self._closing = True
            await self._recorder
            self._recorder = None
        async with self._db.unit() as unit:
            given = [*unsent, *self._abandoned, *self._lapsed]
            await give_back(unit.session, given, worker=self.worker_id)
            await workers.deregister(unit.session, worker_id=self.worker_id)
            for held in self._held:
                await workers.give_up_lease(
                    unit.session, name=self._role(held), holder=self.worker_id
                )
        self._held.clear()
        self._abandoned.clear()
        self._lapsed.clear()
        for lane in lanes:
            lane.in_flight.clear()
        self._current.clear()
        for channel in self._channels.values():
            await channel.close()

    def withdraw(self, appeal_id: int) -> None:
        """Stop sending an appeal: what this engine holds for it is skipped, not sent."""
        self._withdrawn.add(appeal_id)
        self._messages.forget(appeal_id)

    def wake(self) -> None:
        """Look for due deliveries now (something was just queued)."""
        for lane in self._lanes.values():
            lane.wake.set()

    @property
    def channels(self) -> list[str]:
        """Return the channels this engine can send through."""
        return list(self._channels)

    def _role(self, channel: str) -> str:
        role = self._channels[channel].role
        assert role is not None
        return role

    @property
    def in_flight(self) -> int:
        """Return how many rows are claimed and not yet recorded."""
        return sum(len(lane.in_flight) for lane in self._lanes.values())

    @property
    def started(self) -> bool:
        """Tell whether the engine was started and not yet stopped."""
        return self._recorder is not None

    @property
    def alive(self) -> bool:
        """Tell whether the engine runs: its tasks are up, none has died, and outcomes are
        being recorded (a recorder failing for longer than ``RECORDER_STUCK_AFTER`` is not)."""
        tasks = [self._recorder, self._heart, *(lane.dispatcher for lane in self._lanes.values())]
        up = not self._stopping and all(task is not None and not task.done() for task in tasks)
        return up and not self.recorder_stuck and not self.stalled

    @property
    def database_unwritable(self) -> bool:
        """Tell whether the database took none of this worker's last writes (a full disk, a
        read-only volume): what an admin watching a stalled broadcast is told."""
        return self._unwritable

    @property
    def stalled(self) -> bool:
        """Tell whether neither claiming nor recording has got through for a while (the
        database cannot be written, or is away)."""
        return self._monotonic() - self._progress_at > self.config.stalled_after

    @property
    def recorder_stuck(self) -> bool:
        """Tell whether recording outcomes has failed for a while."""
        since = self._recorder_failing_since
        return (
            since is not None and asyncio.get_running_loop().time() - since > RECORDER_STUCK_AFTER
        )

    # ---- heartbeat -------------------------------------------------------------------------

    async def _heartbeat_loop(self) -> None:
        config = self.config
        # Told to stop, not cancelled: a beat cut off inside its transaction could leave its
        # connection holding SQLite's write lock, and every later write (this worker's last
        # one included) would wait for it.
        while not self._beats_stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._beats_stop.wait(), timeout=config.heartbeat)
            if self._beats_stop.is_set():
                return
            try:
                await self.beat()
            except Exception as exc:
                self._unwritable = isinstance(exc, DatabaseUnwritableError)
                self._beat_failures.failed(
                    "the delivery heartbeat failed; trying again", now=self._monotonic()
                )
            else:
                self._unwritable = False
                self._beat_failures.recovered("the delivery heartbeat works again")

    async def beat(self) -> int:
        """Say this worker is alive, renew its leases, free dead workers' claims."""
        config = self.config
        async with self._db.unit() as unit:
            step = await workers.settle_clock(
                unit.session, tolerance=config.clock_tolerance, gap=config.stale_after
            )
            # Taken once the transaction holds its locks (SQLite's writer lock can keep a
            # beat waiting) and before the heartbeat is written: a bound others agree with.
            started = self._monotonic()
            owned = await workers.beat(
                unit.session, worker_id=self.worker_id, name=worker_name(), lease=config.lease
            )
            freed = await workers.reap(unit.session, stale_after=config.stale_after)
            await self._hold_roles(unit.session)
        self._beat_ok_at, self._owned = started, owned
        if step:
            log.warning(
                "the database's clock moved %+.0f s past what it last said (a step, or every "
                "worker away): leases and heartbeats moved with it",
                step,
            )
            self.wake()
        if freed:
            log.warning("took over %d deliveries from a delivery worker that stopped", freed)
            self.stats.freed += freed
            self.wake()
        return freed

    async def _hold_roles(self, session: AsyncSession) -> None:
        """Take or renew the exclusive roles this worker has channels for."""
        for channel, sender in self._channels.items():
            role = sender.role
            if role is None:
                continue
            held = await workers.hold_lease(
                session, name=role, holder=self.worker_id, seconds=self.config.stale_after
            )
            if held and channel not in self._held:
                log.info("this worker now sends to %s", channel)
                self.wake()
            elif not held and channel in self._held:
                log.warning("another worker sends to %s now", channel)
            (self._held.add if held else self._held.discard)(channel)

    @property
    def holds(self) -> bool:
        """Tell whether nobody can have taken this worker's claims and roles: its last
        heartbeat got through less than a beat before another worker would call it dead."""
        config = self.config
        margin = max(config.stale_after - config.heartbeat, config.stale_after / 2)
        return self._monotonic() - self._beat_ok_at < margin

    def _still_holds(self, job: _Job) -> bool:
        """Tell whether a claimed row is still this worker's to send: its heartbeat is
        recent, and the last one found the row still held (or the row was claimed after)."""
        if not self.holds:
            return False
        return job.claimed_at >= self._beat_ok_at or job.claimed.id in self._owned

    @property
    def sending_on(self) -> list[str]:
        """Return the channels this worker claims deliveries for now."""
        if not self.holds:
            return []
        return [
            name
            for name, channel in self._channels.items()
            if channel.role is None or name in self._held
        ]

    # ---- dispatcher ----------------------------------------------------------------------------

    async def _dispatch_loop(self, lane: _Lane) -> None:
        config, size = self.config, lane.size
        busy = False
        while not self._stopping:
            free = size.max_in_flight - len(lane.in_flight)
            if free < max(1, min(size.claim_size, size.max_in_flight) // 2):
                lane.capacity.clear()
                await lane.capacity.wait()
                continue
            # Cleared before claiming: a wake-up that comes during the claim is kept.
            lane.wake.clear()
            limit = min(free, size.claim_size if busy else size.first_claim)
            try:
                claimed = await self._claim(lane, limit)
            except Exception:
                self._claim_failures.failed(
                    "claiming %s deliveries failed; retrying", lane.name, now=self._monotonic()
                )
                await asyncio.sleep(config.idle_poll)
                continue
            self._claim_failures.recovered("claiming deliveries works again")
            self._progress_at = self._monotonic()
            busy = claimed >= limit
            if not claimed and not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lane.wake.wait(), timeout=config.idle_poll)

    async def _claim(self, lane: _Lane, limit: int) -> int:
        if lane.name not in self.sending_on:
            return 0
        async with self._db.unit() as unit:
            claimed = await claim_due(
                unit.session,
                lease=self.config.lease,
                limit=limit,
                worker=self.worker_id,
                channels=[lane.name],
            )
            subscriber_ids = {c.subscriber_id for c in claimed if c.subscriber_id is not None}
            found = await recipients(unit.session, subscriber_ids) if subscriber_ids else {}
            threads = await thread_posts(
                unit.session,
                [
                    (c.id, c.appeal_id, c.subscriber_id)
                    for c in claimed
                    if c.appeal_id is not None
                    and c.subscriber_id is not None
                    and c.subscriber_id in found
                    and found[c.subscriber_id].mirror
                ],
            )
            if threads.waiting:
                # Its thread's first post is still going out: wait for it (a beat, not a try).
                await give_back(
                    unit.session,
                    sorted(threads.waiting),
                    worker=self.worker_id,
                    after=self.config.thread_wait,
                )
                claimed = [item for item in claimed if item.id not in threads.waiting]
        claimed_at = self._monotonic()
        for item in claimed:
            if item.subscriber_id is None:
                recipient: Recipient | None = direct_recipient(item)
            else:
                recipient = found.get(item.subscriber_id)
            if recipient is not None and item.id in threads.posts:
                recipient = replace(recipient, reply_to=threads.posts[item.id])
            message = await self._messages.get(item, recipient)
            job = _Job(item, recipient, message, claimed_at)
            lane.in_flight[item.id] = job
            lane.queue.put_nowait(job)
        self.stats.claimed += len(claimed)
        return len(claimed)

    # ---- senders ---------------------------------------------------------------------------------

    def _release(self, job: _Job) -> None:
        """Let a job's lane claim again: its row is recorded or given back."""
        lane = self._lanes[job.claimed.channel]
        # The row may already be claimed again (a chat-busy wait ends at once).
        if lane.in_flight.get(job.claimed.id) is job:
            del lane.in_flight[job.claimed.id]
        lane.capacity.set()

    async def _send_loop(self, lane: _Lane) -> None:
        task = asyncio.current_task()
        assert task is not None
        while True:
            job = await lane.queue.get()
            self._current[task] = job
            try:
                result = await self._deliver(job)
                if result is None:
                    # This worker's hold on the row lapsed: it goes back unsent.
                    self._lapsed.append(job.claimed.id)
                    self._release(job)
                    continue
            except asyncio.CancelledError:
                if job.claimed.id not in self._on_wire:
                    self._abandoned.append(job.claimed.id)
                raise
            except Exception as exc:
                log.exception("sending delivery %d failed unexpectedly", job.claimed.id)
                result = SendResult(Outcome.RETRY, f"internal error: {type(exc).__name__}")
            finally:
                self._current.pop(task, None)
                self._on_wire.discard(job.claimed.id)
                if not self._on_wire:
                    self._wire_clear.set()
            self._results.put_nowait((job, result))

    def _taken_back(self, job: _Job) -> bool:
        """Tell whether the job's appeal was withdrawn (but for the word that it was)."""
        claimed = job.claimed
        return claimed.appeal_id in self._withdrawn and not isinstance(claimed.item, Withdrawal)

    async def _deliver(self, job: _Job) -> SendResult | None:
        """Send a job; return how it went, or None if it must not go out from here."""
        channel = self._channels.get(job.claimed.channel)
        if channel is None:
            return SendResult(Outcome.FAILED, f"the {job.claimed.channel} channel is not set up")
        if self._taken_back(job):
            return SendResult(Outcome.SKIP, "appeal withdrawn")
        recipient = job.recipient
        if recipient is None or not recipient.may_get(job.claimed.purpose):
            return SendResult(Outcome.SKIP, "the subscriber left before it went out")
        if job.message is None:
            return SendResult(Outcome.SKIP, "there is nothing left to say (the appeal is gone)")
        turn = await channel.wait_turn(recipient)
        if turn.busy > 0:
            # This chat is busy (someone is talking to the bot): come back to it later
            # rather than hold up everyone behind it.
            return SendResult(Outcome.WAIT, "chat busy", retry_after=turn.busy)
        try:
            if not self._still_holds(job):
                # This worker froze or lost the database for a while: another may have
                # taken the row over, and two must never send it.
                return None
            # Withdrawn while this waited for its turn: it must not go out now.
            if self._taken_back(job):
                return SendResult(Outcome.SKIP, "appeal withdrawn")
            self._on_wire.add(job.claimed.id)
            self._wire_clear.clear()
            return await channel.send(recipient, job.message)
        finally:
            turn.release()

    # ---- recorder --------------------------------------------------------------------------------

    def _drain_results(self) -> list[tuple[_Job, SendResult]]:
        done = []
        while not self._results.empty():
            done.append(self._results.get_nowait())
        return done

    async def _record_loop(self) -> None:
        """Write outcomes every few milliseconds; on closing, write the last ones and end.

        A write that fails is tried again with growing pauses (the database may be locked or
        away for a while); on closing, for ``grace`` seconds at most, after which the rows
        stay claimed and go out again once their lease has ended.
        """
        config = self.config
        loop = asyncio.get_running_loop()
        batch: list[tuple[_Job, SendResult]] = []
        failures = 0
        give_up_at: float | None = None
        while True:
            deadline = loop.time() + config.flush_every
            while len(batch) < config.flush_size and not self._closing:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    batch.append(await asyncio.wait_for(self._results.get(), timeout=remaining))
                batch.extend(self._drain_results())
            batch.extend(self._drain_results())
            if batch or self._lapsed:
                try:
                    await self._flush(batch)
                except Exception:
                    failures += 1
                    if self._recorder_failing_since is None:
                        self._recorder_failing_since = loop.time()
                    if failures == 1 or failures % 100 == 0:
                        log.exception(
                            "recording delivery outcomes failed (%d times); retrying", failures
                        )
                    if self._closing:
                        give_up_at = give_up_at or loop.time() + self._grace
                        if loop.time() >= give_up_at:
                            log.error(
                                "stopping without recording %d outcomes: their deliveries go out "
                                "again once their lease ends",
                                len(batch),
                            )
                            return
                    await asyncio.sleep(
                        min(RECORDER_LONGEST_PAUSE, config.flush_every * 2 ** min(failures, 10))
                    )
                    continue
                if failures:
                    log.warning("recording delivery outcomes works again")
                failures, self._recorder_failing_since = 0, None
                batch = []
            # Results that came in while the last batch was being written go too.
            if self._closing and self._results.empty():
                return

    def _decide(self, result: SendResult, claimed: Claimed, now: datetime) -> Decision:
        """Decide a row's fate; a result that cannot be read is retried like a failure."""
        jitter = random.uniform(0.8, 1.2)

        def run(outcome: SendResult) -> Decision:
            return decide(
                outcome,
                attempts=claimed.attempts,
                has_subscriber=claimed.subscriber_id is not None,
                now=now,
                policy=self.config.retry,
                jitter=jitter,
            )

        try:
            return run(result)
        except Exception:
            log.exception("the outcome of delivery %d could not be read", claimed.id)
            return run(SendResult(Outcome.RETRY, "internal error: an unreadable outcome"))

    async def _flush(self, batch: list[tuple[_Job, SendResult]]) -> None:
        if not batch and not self._lapsed:
            return
        now = self._clock()
        changes: list[dict[str, Any]] = []
        gone: dict[SubscriberState, set[int]] = {}
        moved: list[tuple[int, str, str | None, dict[str, Any]]] = []
        posts: list[tuple[int, str]] = []
        digests: list[tuple[int, DeliveryState]] = []
        for job, result in batch:
            claimed = job.claimed
            # Kept where it is needed again: a mirror's post (updates reply to it), an
            # admin's progress message (edited as the broadcast goes on).
            kept = isinstance(claimed.item, ProgressMessage) or (
                job.recipient is not None and job.recipient.mirror
            )
            if kept and result.external_id:
                posts.append((claimed.id, result.external_id))
            decision = self._decide(result, claimed, now)
            change = decision.row(claimed.id)
            changes.append(change)
            if isinstance(claimed.item, Digest):
                digests.append((claimed.id, decision.state))
            if claimed.subscriber_id is None:
                continue
            if decision.subscriber is SubscriberChange.GONE:
                channel = self._channels.get(claimed.channel)
                state = channel.gone if channel is not None else SubscriberState.BLOCKED
                gone.setdefault(state, set()).add(claimed.subscriber_id)
            elif decision.subscriber is SubscriberChange.MOVED and decision.new_address:
                moved.append(
                    (claimed.subscriber_id, decision.new_address, decision.new_kind, change)
                )
        async with self._db.unit() as unit:
            for subscriber_id, address, kind, change in moved:
                if not await move(unit.session, subscriber_id, address, kind):
                    change.update(
                        state=DeliveryState.SKIPPED,
                        last_error="moved to an address that is already subscribed",
                    )
            await record_outcomes(unit.session, changes, worker=self.worker_id)
            lapsed = list(self._lapsed)
            await give_back(unit.session, lapsed, worker=self.worker_id)
            await subscribers_gone(
                unit.session,
                {state: sorted(ids) for state, ids in gone.items()},
                reason="subscriber gone",
            )
            await record_posts(unit.session, posts)
            await settle_bundles(unit.session, digests, now=now)
        del self._lapsed[: len(lapsed)]
        self._progress_at = self._monotonic()
        for job, result in batch:
            self._release(job)
            self.stats.outcomes[result.outcome.value] += 1
        if moved:
            self.wake()
