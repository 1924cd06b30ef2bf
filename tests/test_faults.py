"""Faults: workers whose clocks disagree, frozen workers, one row sent by one worker."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, text, update
from sqlalchemy.exc import DBAPIError

from bot.delivery.channels import Pace
from bot.delivery.engine_config import EngineConfig
from bot.delivery.figures import Progress
from bot.jobs.progress_message import no_limits
from bot.jobs.wall_clock import WallClockWatch
from core.timing import system_clock
from emulator import BotApiEmulator, Limits
from storage.db_time import shifted
from storage.engine import create_engine
from storage.enums import DeliveryState
from storage.models import Delivery, Lease, Worker
from storage.repo.subscribers import forget
from tests.support.bot import sessions_for
from tests.support.databases import MigratedDatabase, Templates, database
from tests.support.delivery import (
    add_subscribers,
    eventually,
    publish_appeal,
    running_app,
    running_engine,
    until_done,
)
from tests.support.groups import TIMED
from tests.support.mail import mail_settings
from tests.support.offline import offline_bot
from tests.support.processes import clean_env, start_worker
from tests.support.smtp import Sink, free_port, smtp_server

MAY_DAY = 3


async def wait_for(condition: Callable[[], bool | Awaitable[bool]], *, timeout: float) -> None:
    """Wait until ``condition`` holds (asked every 50 ms: another process does the work)."""
    async with asyncio.timeout(timeout):
        while True:
            held = condition()
            if held if isinstance(held, bool) else await held:
                return
            await asyncio.sleep(0.05)


async def _all_sent(url: str, count: int) -> bool:
    async with sessions_for(url) as sessions, sessions() as session:
        sent = await session.scalar(
            select(func.count()).where(Delivery.state == DeliveryState.SENT)
        )
    return sent == count


# Beats a second apart, dead after four silent seconds, for the skewed clocks: wide enough
# that a machine busy with other tests never delays a beat past it, and still well under the
# skews the test makes (+10 s, two hours).
BEATS: dict[str, float] = {"heartbeat": 1.0, "stale_after": 4.0}


def ahead_by(offset: timedelta) -> Callable[[], datetime]:
    def clock() -> datetime:
        return system_clock() + offset

    return clock


@pytest.mark.parametrize("offset", [timedelta(seconds=10), timedelta(hours=2)], ids=str)
async def test_a_worker_whose_clock_runs_ahead_takes_nothing_from_the_others(
    emulator: BotApiEmulator, seeded_db: MigratedDatabase, offset: timedelta
) -> None:
    # Two workers on one PostgreSQL database, one of them on a drifting VM clock: the shared
    # times (heartbeats, leases, "due") are the database's, so neither sees the other as dead.
    emulator.set_limits(Limits(enabled=False))
    chats = list(range(96_001, 96_801))
    await add_subscribers(seeded_db.sessions, chats)
    await publish_appeal(seeded_db.url, MAY_DAY, paid=True)
    async with (
        running_engine(emulator, seeded_db.url, rate=300, paid=True, **BEATS) as slow,
        running_engine(
            emulator, seeded_db.url, rate=300, paid=True, clock=ahead_by(offset), **BEATS
        ) as fast,
    ):
        slow.wake()
        fast.wake()
        await asyncio.wait_for(until_done(seeded_db.database, MAY_DAY), timeout=60)
        freed = slow.stats.freed + fast.stats.freed
    sent = Counter(chat for chat in chats for _ in emulator.sent(chat))
    assert sent == Counter(dict.fromkeys(chats, 1)), "every reader once"
    assert freed == 0, "nobody stopped: nothing was taken over"


@TIMED
async def test_a_worker_frozen_past_its_lease_sends_nothing_it_held_when_it_wakes(
    tmp_path: Path, templates: Templates
) -> None:
    # Two `appealbot worker` processes mail one broadcast; one is stopped (SIGSTOP: a VM
    # paused, a process swapped out) long enough for the other to take its rows over. When
    # it wakes it must give back, unsent, what it held: only what was on its wire may go twice.
    sink = Sink()
    readers = [f"reader{n}@example.org" for n in range(1, 1_201)]
    async with (
        database("postgresql", tmp_path, templates, seeded=True) as db,
        smtp_server(sink) as port,
    ):
        await add_subscribers(db.sessions, readers, channel="email")
        await publish_appeal(db.url, MAY_DAY, **mail_settings(port, free_port()))

        def worker_env(sender: str) -> dict[str, str]:
            settings = {**mail_settings(port, 0), "mail_from": f"{sender}@example.org"}
            return clean_env(
                APPEALBOT_DATABASE_URL=db.url,
                APPEALBOT_DELIVERY_HEARTBEAT_SECONDS="0.5",
                APPEALBOT_DELIVERY_LEASE_SECONDS="3",
                APPEALBOT_SMTP_RATE="150",
                # Many rows in flight: a worker that woke and sent what it held would show.
                APPEALBOT_TELEGRAM_RATE="400",
                **{f"APPEALBOT_{key.upper()}": str(value) for key, value in settings.items()},
            )

        workers = [await start_worker(worker_env(name), tmp_path) for name in ("one", "two")]
        try:
            await wait_for(lambda: len(sink.messages) >= 200, timeout=60)
            sleeper = workers[0]
            sleeper.send_signal(signal.SIGSTOP)
            stopped_at = len(sink.messages)
            # Frozen well past its lease (three beats make it dead; the lease is 3 s).
            await wait_for(lambda: len(sink.messages) >= stopped_at + 700, timeout=60)
            sleeper.send_signal(signal.SIGCONT)
            woke_at = len(sink.messages)
            await wait_for(lambda: len(sink.messages) >= len(readers), timeout=60)
            await wait_for(lambda: _all_sent(db.url, len(readers)), timeout=60)
            for process in workers:
                process.send_signal(signal.SIGTERM)
            for process in workers:
                _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
                assert process.returncode == 0, stderr.decode()[-2000:]
        finally:
            for process in workers:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
    received = Counter(address for envelope in sink.envelopes for address in envelope)
    assert set(received) == set(readers), "nobody lost"
    twice = sorted(address for address, count in received.items() if count > 1)
    # Only what its relay connections had taken when it froze can go out twice.
    woke_sent = [
        message["To"]
        for message in sink.messages[woke_at:]
        if message["From"] == "one@example.org" and received[message["To"]] > 1
    ]
    # Waking, it finished only what its relay connections were in the middle of; what it
    # held besides went back unsent.
    assert len(woke_sent) <= 4, woke_sent
    # Whatever was sent and not yet recorded when it froze may go twice: its lane at most.
    assert len(twice) <= EngineConfig().lane(Pace(150, concurrency=4)).max_in_flight, twice


@TIMED
async def test_a_relay_that_never_answers_holds_up_only_email(
    emulator: BotApiEmulator, seeded_sqlite_db: MigratedDatabase, sink: Sink
) -> None:
    # Readers on both channels, e-mail ones queued first (lower ids); the relay takes
    # connections and never answers. Telegram goes at its own pace from the first second.
    readers = [f"reader{n}@example.org" for n in range(1, 1_501)]
    chats = list(range(95_001, 95_181))
    await add_subscribers(seeded_sqlite_db.sessions, readers, channel="email")
    await add_subscribers(seeded_sqlite_db.sessions, chats)
    sink.hold = asyncio.Event()  # DATA is taken and never answered
    async with smtp_server(sink) as port:
        mail = {**mail_settings(port, free_port()), "smtp_rate": 500.0}
        await publish_appeal(seeded_sqlite_db.url, MAY_DAY, **mail)
        published = time.monotonic()
        async with running_engine(emulator, seeded_sqlite_db.url, settings=mail):
            await emulator.wait_until(
                lambda: all(emulator.sent(chat) for chat in chats), timeout=30
            )
            stalled = sink.data_started
            sink.hold.set()
    stamps = sorted(sent.monotonic for chat in chats for sent in emulator.sent(chat))
    # All of Telegram went out while e-mail was stuck (its rate: benchmarks/faults.py).
    assert stamps[0] - published < 5, "Telegram's first message within seconds"
    assert emulator.stats["http_429"] == 0
    assert stalled <= 4, "e-mail waited at its own relay's connections"


class ReadOnlySwitch:
    """While on, every SQLite connection taken from a pool refuses writes (as on a volume
    remounted read-only); off, they write again."""

    def __init__(self) -> None:
        self.on = False

    def checkout(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA query_only = {'ON' if self.on else 'OFF'}")
        cursor.close()

    @contextlib.contextmanager
    def installed(self) -> Iterator[ReadOnlySwitch]:
        event.listen(Engine, "checkout", self.checkout)
        try:
            yield self
        finally:
            event.remove(Engine, "checkout", self.checkout)


async def test_what_the_database_cannot_store_is_answered_as_such(seeded_url: str) -> None:
    admin = 4001
    with ReadOnlySwitch().installed() as read_only:
        async with offline_bot(seeded_url, admin_ids=str(admin)) as chats:
            read_only.on = True
            [refused] = await chats.converse(admin, "/newappeal")
            read_only.on = False
            [started] = await chats.converse(admin, "/newappeal")
            read_only.on = True
            [paste] = await chats.converse(
                admin, "Free the strikers\n\nOn 16 December police fired at oil workers."
            )
    for reply in (refused, paste):
        assert "cannot save anything just now" in reply.text
        assert "not kept" in reply.text
    assert "cannot save" not in started.text


async def test_health_says_so_when_the_database_takes_no_writes(
    emulator: BotApiEmulator, seeded_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A full disk or a volume remounted read-only: reads still work, so a ping alone would
    # call the database fine. The heartbeat's writes and delivery's progress tell the truth.
    with ReadOnlySwitch().installed() as read_only:
        async with running_app(emulator, seeded_url, stalled_after=1.0) as app:
            engine, monitoring = app.delivery, app.services.monitoring
            assert engine is not None

            async def healthy() -> bool:
                return (await monitoring.health()).ok

            await wait_for(healthy, timeout=10)
            read_only.on = True
            await eventually(lambda: not engine.alive, timeout=10)
            checked = await monitoring.health()
            stalled = engine.database_unwritable
            [said] = app.presenter.telegram(
                "progress",
                progress=Progress(MAY_DAY, 10, 4, 0, 0, 6, 0.0, 30.0),
                title="May Day",
                eta="",
                took="",
                average="",
                limit=no_limits(),
                pauses=0,
                paused="",
                mirrors=[],
                unwritable=stalled,
            )
            failures = [r for r in caplog.records if "heartbeat failed" in r.getMessage()]
            read_only.on = False
            await wait_for(healthy, timeout=10)
    assert (checked.database, checked.delivery, checked.ok) == (False, False, False)
    assert stalled
    assert "the database cannot be written" in said, "the admin watching is told why"
    assert len(failures) == 1, "a failure that repeats is logged once a minute, not each beat"


async def step_the_database_clock_back(db: MigratedDatabase, *, seconds: float) -> None:
    """Do what a step of the database's clock back does to what it stored: every time stored
    is now ``seconds`` ahead of it (negative: behind it, as after a step forward)."""
    for attempt in range(5):
        try:
            async with db.sessions.begin() as session:
                for model, column in (
                    (Delivery, Delivery.next_attempt_at),
                    (Delivery, Delivery.lease_until),
                    (Worker, Worker.heartbeat_at),
                    (Lease, Lease.until),
                ):
                    await session.execute(
                        update(model)
                        .where(column.is_not(None))
                        .values({column: shifted(column, seconds)})
                        .execution_options(synchronize_session=False)
                    )
            return
        except DBAPIError as exc:
            # Rewriting every row under a running engine may meet its claims in the other
            # order: PostgreSQL then gives one of the two up; this one tries again.
            if "deadlock" not in str(exc) or attempt == 4:
                raise


async def test_a_broadcast_goes_on_through_a_step_of_the_clock_back(
    emulator: BotApiEmulator, seeded_db: MigratedDatabase
) -> None:
    # NTP or an operator sets the clock back an hour in the middle of a broadcast: what was
    # due stays due, nobody is taken for dead, and nothing goes twice.
    emulator.set_limits(Limits(enabled=False))
    chats = list(range(94_001, 94_401))
    await add_subscribers(seeded_db.sessions, chats)
    await publish_appeal(seeded_db.url, MAY_DAY, paid=True)
    async with running_engine(emulator, seeded_db.url, rate=100, paid=True) as engine:
        engine.wake()
        await emulator.wait_until(lambda: emulator.stats["delivered"] >= 100, timeout=20)
        await step_the_database_clock_back(seeded_db, seconds=3600)
        await asyncio.wait_for(until_done(seeded_db.database, MAY_DAY), timeout=40)
        freed = engine.stats.freed
    sent = Counter(chat for chat in chats for _ in emulator.sent(chat))
    assert sent == Counter(dict.fromkeys(chats, 1)), "every reader once"
    assert freed == 0


async def test_the_repeating_jobs_keep_their_pace_through_a_step_of_the_wall_clock(
    seeded_url: str,
) -> None:
    # The wall clock set back an hour: a job due in an hour by the old reading is due now by
    # the new one, and must run now, not an hour late.
    wall, monotonic = [1_800_000_000.0], [100.0]
    ran = asyncio.Event()

    async def job(_context: object) -> None:
        ran.set()

    async with offline_bot(seeded_url) as chats:
        jobs = chats.application.job_queue
        assert jobs is not None
        scheduled = jobs.run_repeating(job, interval=3600, first=3600, name="hourly")
        before = scheduled.next_t
        watch = WallClockWatch(jobs, wall=lambda: wall[0], monotonic=lambda: monotonic[0])
        wall[0] += 1
        monotonic[0] += 1
        assert watch.check() == 0, "no step: nothing moves"
        wall[0] -= 3600 - 5
        monotonic[0] += 5
        assert watch.check() == -3600
        await asyncio.wait_for(ran.wait(), timeout=10)
        after = scheduled.next_t
        scheduled.schedule_removal()
    assert before is not None
    assert after is not None
    assert after - before < timedelta(seconds=60), "the next run moved back with the clock"


async def test_two_workers_go_on_through_a_step_of_the_clock_forward(
    emulator: BotApiEmulator, seeded_db: MigratedDatabase
) -> None:
    # The clock jumps an hour ahead: every heartbeat and lease looks an hour old. Neither
    # worker may take the other for dead, nor its rows for abandoned.
    emulator.set_limits(Limits(enabled=False))
    chats = list(range(93_001, 93_401))
    await add_subscribers(seeded_db.sessions, chats)
    await publish_appeal(seeded_db.url, MAY_DAY, paid=True)
    async with (
        running_engine(emulator, seeded_db.url, rate=100, paid=True) as first,
        running_engine(emulator, seeded_db.url, rate=100, paid=True) as second,
    ):
        first.wake()
        await emulator.wait_until(lambda: emulator.stats["delivered"] >= 100, timeout=20)
        before = await registered(seeded_db)
        await step_the_database_clock_back(seeded_db, seconds=-3600)
        await asyncio.wait_for(until_done(seeded_db.database, MAY_DAY), timeout=40)
        after = await registered(seeded_db)
        freed = first.stats.freed + second.stats.freed
    sent = Counter(chat for chat in chats for _ in emulator.sent(chat))
    assert sent == Counter(dict.fromkeys(chats, 1)), "every reader once"
    assert after == before, "nobody was taken for dead (and registered again)"
    assert freed == 0


async def registered(db: MigratedDatabase) -> set[tuple[str, datetime]]:
    """Return the workers as registered: each id, and when it registered."""
    async with db.sessions() as session:
        rows = await session.execute(select(Worker.id, Worker.started_at))
    return {(worker_id, started) for worker_id, started in rows}


async def test_an_erasure_while_a_reader_holds_the_log_stops_no_writer_and_empties_it_later(
    sqlite_db: MigratedDatabase,
) -> None:
    db = sqlite_db.database
    path = Path(sqlite_db.url.removeprefix("sqlite+aiosqlite:///"))
    [leaver] = await add_subscribers(sqlite_db.sessions, [73_001])
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM subscribers").fetchall()  # a snapshot kept open
    try:
        started = time.monotonic()

        async def erase() -> None:
            async with db.unit() as unit:
                await forget(unit.session, leaver)

        async def write() -> None:
            await asyncio.sleep(0)  # once the erasure has begun
            await add_subscribers(sqlite_db.sessions, [73_002])

        await asyncio.gather(erase(), write())
        # Without the bound, the checkpoint's wait (30 s) would hold the erasure's caller
        # and every writer behind it.
        assert time.monotonic() - started < 10
        assert (path.parent / f"{path.name}-wal").stat().st_size > 0, "the reader keeps it"
    finally:
        reader.execute("COMMIT")
        reader.close()
    await asyncio.wait_for(db.emptied(), timeout=30)
    assert (path.parent / f"{path.name}-wal").stat().st_size == 0


async def test_a_process_frozen_inside_a_transaction_holds_no_worker_up(
    emulator: BotApiEmulator, tmp_path: Path, templates: Templates
) -> None:
    # A process frozen (SIGSTOP, a paused VM) in the middle of its transaction keeps its row
    # locks: here the clock mark every heartbeat takes and every row of the broadcast. The
    # server ends such a session, so the workers go on without it.
    emulator.set_limits(Limits(enabled=False))
    chats = list(range(97_001, 97_201))
    async with database("postgresql", tmp_path, templates, seeded=True) as db:
        await add_subscribers(db.sessions, chats)
        await publish_appeal(db.url, MAY_DAY, paid=True)
        frozen = create_engine(db.url)  # a process's connection, as the service makes it
        connection = await frozen.connect()
        try:
            await connection.begin()
            await connection.execute(
                text(
                    "INSERT INTO leases (name, holder, until) VALUES ('clock', '', now())"
                    " ON CONFLICT DO NOTHING"
                )
            )
            await connection.execute(text("SELECT 1 FROM leases WHERE name = 'clock' FOR UPDATE"))
            await connection.execute(text("SELECT 1 FROM deliveries FOR UPDATE"))
            async with running_engine(emulator, db.url, rate=300, paid=True) as engine:
                engine.wake()
                await asyncio.wait_for(until_done(db.database, MAY_DAY), timeout=60)
            with pytest.raises(DBAPIError):
                await connection.execute(text("SELECT 1"))  # its session was ended
        finally:
            with contextlib.suppress(DBAPIError):
                await connection.close()
            await frozen.dispose()
    sent = Counter(chat for chat in chats for _ in emulator.sent(chat))
    assert sent == Counter(dict.fromkeys(chats, 1)), "every reader once"
