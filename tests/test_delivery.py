"""The delivery engine against the emulator: exactly once, within the limits, whatever happens."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import os
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from emulator import PROXY_PAGE, TRUNCATED_JSON, BotApiEmulator, Faults, Limits
from storage.enums import DeliveryState, SubscriberState
from storage.models import Delivery, Subscriber
from tests.support.databases import MigratedDatabase
from tests.support.delivery import (
    add_subscribers,
    eventually,
    publish_appeal,
    running_engine,
    until_done,
)
from tests.support.groups import TIMED
from tests.support.keys import TEST_KEY_TEXT, TEST_SEALER

MAY_DAY = 3  # urgent, about Kurmanov, Tikhonov, Kuramshin and the May Day attack


@pytest.fixture
def seeded(seeded_db: MigratedDatabase) -> MigratedDatabase:
    """A seeded database: SQLite, and PostgreSQL too."""
    return seeded_db


@pytest.fixture
def seeded_sqlite(seeded_sqlite_db: MigratedDatabase) -> MigratedDatabase:
    """A seeded SQLite database, for the slow tests of network behaviour."""
    return seeded_sqlite_db


def per_chat(emulator: BotApiEmulator) -> Counter[int]:
    return Counter({chat: len(messages) for chat, messages in emulator.world.messages.items()})


async def states(db: MigratedDatabase) -> Counter[str]:
    async with db.sessions() as session:
        rows = await session.scalars(select(Delivery.state))
        return Counter(state.value for state in rows)


async def test_every_subscriber_gets_the_appeal_once_within_the_limits(
    emulator: BotApiEmulator, seeded: MigratedDatabase
) -> None:
    chats = list(range(10_001, 10_091))
    await add_subscribers(seeded.sessions, chats)
    published = await publish_appeal(seeded.url, MAY_DAY)
    assert (published.queued, published.total) == (90, 90)
    async with running_engine(emulator, seeded.url, rate=30) as engine:
        engine.wake()
        progress = await asyncio.wait_for(until_done(seeded.database, MAY_DAY), timeout=30)
    assert (progress.sent, progress.failed, progress.gone, progress.left) == (90, 0, 0, 0)
    assert per_chat(emulator) == Counter(dict.fromkeys(chats, 1))
    assert emulator.stats["http_429"] == 0
    message = emulator.sent(chats[0])[0]
    # A 2011 appeal sent today says how old it is, and is not marked urgent.
    assert message.text.startswith("⚠️ This appeal is from 2 May 2011 and is archived.")
    assert "URGENT" not in message.text
    assert "Almaty: police attack socialists at May Day" in message.text
    # Archived: what was asked stays readable; nothing is asked of the reader any more.
    assert "/contacts_3" not in message.text
    assert "/appeal_3 shows the whole story" in message.text
    assert [b["text"] for b in message.buttons] == ["📬 Contacts", "✍️ Model letter"]


async def subscriber_rows(db: MigratedDatabase) -> dict[int, Subscriber]:
    async with db.sessions() as session:
        return {row.id: row for row in await session.scalars(select(Subscriber))}


async def deliver(
    emulator: BotApiEmulator, db: MigratedDatabase, appeal_id: int, **options: object
) -> None:
    async with running_engine(emulator, db.url, **options) as engine:
        engine.wake()
        await asyncio.wait_for(until_done(db.database, appeal_id), timeout=60)


async def test_a_429_storm_slows_down_and_loses_nothing(
    emulator: BotApiEmulator, seeded_sqlite: MigratedDatabase
) -> None:
    emulator.set_limits(Limits(global_rate=15, global_burst=5))
    chats = list(range(20_001, 20_061))
    await add_subscribers(seeded_sqlite.sessions, chats)
    await publish_appeal(seeded_sqlite.url, MAY_DAY)
    await deliver(emulator, seeded_sqlite, MAY_DAY, rate=60)
    assert emulator.stats["http_429"] > 0
    assert per_chat(emulator) == Counter(dict.fromkeys(chats, 1))
    assert await states(seeded_sqlite) == Counter({"sent": 60})


async def test_server_errors_and_timeouts_are_retried_until_delivered(
    emulator: BotApiEmulator, seeded_sqlite: MigratedDatabase
) -> None:
    emulator.set_limits(Limits(enabled=False))
    emulator.set_faults(Faults(error_rate=0.3, timeout_rate=0.1, timeout_seconds=5, seed=3))
    chats = list(range(30_001, 30_081))
    await add_subscribers(seeded_sqlite.sessions, chats)
    await publish_appeal(seeded_sqlite.url, MAY_DAY)
    await deliver(
        emulator, seeded_sqlite, MAY_DAY, rate=200, timeout=1.5, backoff_first=0.05, max_attempts=12
    )
    assert emulator.stats["http_5xx"] > 0
    assert emulator.stats["timeouts"] > 0
    assert per_chat(emulator) == Counter(dict.fromkeys(chats, 1))
    async with seeded_sqlite.sessions() as session:
        rows = (await session.scalars(select(Delivery))).all()
    assert {row.state for row in rows} == {DeliveryState.SENT}
    assert max(row.attempts for row in rows) > 1


async def test_attempts_are_capped_and_the_reason_kept(
    emulator: BotApiEmulator, seeded: MigratedDatabase
) -> None:
    emulator.set_faults(Faults(error_rate=1.0))
    chats = [40_001, 40_002, 40_003]
    await add_subscribers(seeded.sessions, chats)
    await publish_appeal(seeded.url, MAY_DAY)
    await deliver(emulator, seeded, MAY_DAY, backoff_first=0.01, max_attempts=3)
    async with seeded.sessions() as session:
        rows = (await session.scalars(select(Delivery))).all()
    assert {(row.state, row.attempts, row.last_error) for row in rows} == {
        (DeliveryState.FAILED, 3, "Bad Gateway")
    }
    assert emulator.stats["http_5xx"] == 9
    assert emulator.sent(40_001) == []


async def test_blocked_users_are_marked_gone_and_never_retried(
    emulator: BotApiEmulator, seeded: MigratedDatabase
) -> None:
    chats = list(range(50_001, 50_011))
    ids = await add_subscribers(seeded.sessions, chats)
    emulator.block(50_001)
    emulator.block(50_002, reason="user is deactivated")
    await publish_appeal(seeded.url, MAY_DAY)
    await deliver(emulator, seeded, MAY_DAY)
    assert emulator.stats["forbidden"] == 2
    subscribers = await subscriber_rows(seeded)
    blocked = {key for key, row in subscribers.items() if row.state is SubscriberState.BLOCKED}
    assert blocked == set(ids[:2])
    assert all(subscribers[key].address_sealed is None for key in blocked), "only a count is kept"
    assert await states(seeded) == Counter({"sent": 8, "skipped": 2})
    # The next appeal is not even queued for them.
    published = await publish_appeal(seeded.url, 5)
    assert published.queued == 8
    assert len(ids) == 10


async def test_a_migrated_group_gets_the_message_at_its_new_id(
    emulator: BotApiEmulator, seeded: MigratedDatabase
) -> None:
    await add_subscribers(seeded.sessions, [-555, 60_001])
    emulator.migrate(-555, -1_000_000_000_555)
    await publish_appeal(seeded.url, MAY_DAY)
    await deliver(emulator, seeded, MAY_DAY)
    assert emulator.sent(-555) == []
    assert len(emulator.sent(-1_000_000_000_555)) == 1
    chats = {
        TEST_SEALER.open("telegram", row.address_sealed)
        for row in (await subscriber_rows(seeded)).values()
    }
    assert chats == {"-1000000000555", "60001"}
    assert await states(seeded) == Counter({"sent": 2})


async def test_publishing_twice_sends_nothing_twice(
    emulator: BotApiEmulator, seeded: MigratedDatabase
) -> None:
    chats = list(range(70_001, 70_021))
    await add_subscribers(seeded.sessions, chats)
    first = await publish_appeal(seeded.url, MAY_DAY)
    second = await publish_appeal(seeded.url, MAY_DAY)
    assert (first.queued, second.queued, second.total) == (20, 0, 20)
    await deliver(emulator, seeded, MAY_DAY)
    third = await publish_appeal(seeded.url, MAY_DAY)
    assert third.queued == 0
    await deliver(emulator, seeded, MAY_DAY)
    assert per_chat(emulator) == Counter(dict.fromkeys(chats, 1))


async def test_filters_choose_who_gets_what(seeded: MigratedDatabase) -> None:
    everything = await add_subscribers(seeded.sessions, [80_001])
    urgent_only = await add_subscribers(seeded.sessions, [80_002], urgent_only=True)
    await add_subscribers(seeded.sessions, [80_003], countries=["RU"])
    kazakhstan = await add_subscribers(seeded.sessions, [80_004], countries=["KZ"])
    await add_subscribers(seeded.sessions, [80_005], state=SubscriberState.UNSUBSCRIBED)
    follower = await add_subscribers(seeded.sessions, [80_006], urgent_only=True, countries=["RU"])
    async with seeded.sessions.begin() as session:
        from storage.models import subscriber_cases
        from storage.repo.cases import get_case_by_slug

        case = await get_case_by_slug(session, "ainur-kurmanov")
        assert case is not None
        await session.execute(
            subscriber_cases.insert().values(subscriber_id=follower[0], case_id=case.id)
        )
        # Make the Taraz appeal a non-urgent one for this test.
        from storage.models import Appeal

        taraz = await session.get(Appeal, 2)
        assert taraz is not None
        taraz.urgency = type(taraz.urgency)("normal")
    urgent = await publish_appeal(seeded.url, MAY_DAY)
    normal = await publish_appeal(seeded.url, 2)
    async with seeded.sessions() as session:
        queued = {
            (row.appeal_id, row.subscriber_id) for row in await session.scalars(select(Delivery))
        }
    assert urgent.queued == 4
    assert normal.queued == 2
    assert queued == {
        (MAY_DAY, everything[0]),
        (MAY_DAY, urgent_only[0]),
        (MAY_DAY, kazakhstan[0]),
        (MAY_DAY, follower[0]),
        (2, everything[0]),
        (2, kazakhstan[0]),
    }


async def test_a_subscriber_who_leaves_before_sending_is_skipped(
    emulator: BotApiEmulator, seeded: MigratedDatabase
) -> None:
    ids = await add_subscribers(seeded.sessions, [90_001, 90_002])
    await publish_appeal(seeded.url, MAY_DAY)
    async with seeded.sessions.begin() as session:
        leaver = await session.get(Subscriber, ids[0])
        assert leaver is not None
        leaver.state = SubscriberState.UNSUBSCRIBED
    await deliver(emulator, seeded, MAY_DAY)
    assert emulator.sent(90_001) == []
    assert len(emulator.sent(90_002)) == 1
    assert await states(seeded) == Counter({"sent": 1, "skipped": 1})


async def test_stopping_gives_back_what_was_not_sent(
    emulator: BotApiEmulator, seeded_sqlite: MigratedDatabase
) -> None:
    chats = list(range(95_001, 95_061))
    await add_subscribers(seeded_sqlite.sessions, chats)
    await publish_appeal(seeded_sqlite.url, MAY_DAY)
    async with running_engine(emulator, seeded_sqlite.url, rate=20) as engine:
        engine.wake()
        await emulator.wait_until(lambda: emulator.stats["delivered"] >= 10)
    middle = await states(seeded_sqlite)
    assert "sending" not in middle
    assert 0 < middle["sent"] < 60
    assert middle["pending"] == 60 - middle["sent"]
    await deliver(emulator, seeded_sqlite, MAY_DAY, rate=60)
    assert per_chat(emulator) == Counter(dict.fromkeys(chats, 1))


@TIMED
async def test_paid_broadcast_goes_far_beyond_the_free_rate(
    emulator: BotApiEmulator, seeded_sqlite: MigratedDatabase
) -> None:
    chats = list(range(96_001, 96_601))
    await add_subscribers(seeded_sqlite.sessions, chats)
    await publish_appeal(seeded_sqlite.url, MAY_DAY, paid=True)
    await deliver(emulator, seeded_sqlite, MAY_DAY, rate=1000, paid=True)
    assert emulator.stats["paid"] == 600
    assert emulator.stats["http_429"] == 0
    assert per_chat(emulator) == Counter(dict.fromkeys(chats, 1))
    # Far more than the free 30 fell into one second, by the emulator's own clock.
    stamps = sorted(sent.monotonic for chat in chats for sent in emulator.sent(chat))
    busiest = max(bisect.bisect_right(stamps, at + 1.0) - n for n, at in enumerate(stamps))
    assert busiest > 100, busiest


async def test_of_two_workers_one_sends_to_telegram_and_the_other_takes_over_at_its_stop(
    emulator: BotApiEmulator, seeded: MigratedDatabase
) -> None:
    # Telegram's limits are the bot's, not a process's: two senders would spend one budget
    # twice. One worker holds the role; when it stops, the other takes it at once.
    emulator.set_limits(Limits(enabled=False))
    chats = list(range(97_001, 97_401))
    await add_subscribers(seeded.sessions, chats)
    await publish_appeal(seeded.url, MAY_DAY)
    async with contextlib.AsyncExitStack() as first_stack:
        first = await first_stack.enter_async_context(
            running_engine(emulator, seeded.url, rate=100)
        )
        async with running_engine(emulator, seeded.url, rate=100) as second:
            assert first.sending_on == ["telegram"]
            assert second.sending_on == []
            first.wake()
            await emulator.wait_until(lambda: emulator.stats["delivered"] >= 100, timeout=20)
            await first_stack.aclose()  # the holder stops cleanly mid-broadcast
            # Its next heartbeat takes the role.
            await eventually(lambda: second.sending_on == ["telegram"], timeout=5)
            await asyncio.wait_for(until_done(seeded.database, MAY_DAY), timeout=60)
            sent = (first.stats.outcomes["sent"], second.stats.outcomes["sent"])
    assert per_chat(emulator) == Counter(dict.fromkeys(chats, 1))
    assert sum(sent) == 400, "what the first gave back at its stop, the second sent"
    assert min(sent) > 0, sent


async def test_stopping_while_told_to_wait_gives_those_rows_back(
    emulator: BotApiEmulator, seeded_sqlite: MigratedDatabase
) -> None:
    emulator.set_limits(Limits(global_rate=0.05, global_burst=1))
    chats = list(range(98_001, 98_011))
    await add_subscribers(seeded_sqlite.sessions, chats)
    await publish_appeal(seeded_sqlite.url, MAY_DAY)
    async with running_engine(emulator, seeded_sqlite.url, rate=30, grace=0.5) as engine:
        engine.wake()
        await emulator.wait_until(lambda: emulator.stats["http_429"] >= 1)
        # The 429 is recorded: the row waits, and the engine holds the others meanwhile.
        await eventually(lambda: engine.stats.outcomes["wait"] >= 1)
    after = await states(seeded_sqlite)
    assert "sending" not in after
    assert after["sent"] == 1
    assert after["pending"] == 9


@pytest.mark.parametrize("body", [TRUNCATED_JSON, PROXY_PAGE])
async def test_a_spell_of_garbled_answers_loses_nothing(
    emulator: BotApiEmulator, seeded_sqlite: MigratedDatabase, body: str
) -> None:
    chats = list(range(99_001, 99_151))
    await add_subscribers(seeded_sqlite.sessions, chats)
    await publish_appeal(seeded_sqlite.url, MAY_DAY)
    emulator.set_faults(Faults(garbled_rate=1.0, garbled_body=body))
    async with running_engine(emulator, seeded_sqlite.url, rate=30) as engine:
        engine.wake()
        await emulator.wait_until(lambda: emulator.stats["garbled"] > 100, timeout=30)
        emulator.set_faults(Faults())
        progress = await asyncio.wait_for(until_done(seeded_sqlite.database, MAY_DAY), timeout=90)
    assert emulator.stats["garbled"] > 100
    assert (progress.sent, progress.failed, progress.gone) == (150, 0, 0)
    assert per_chat(emulator) == Counter(dict.fromkeys(chats, 1))


async def test_unknown_answers_are_retried_and_only_telegrams_own_end_a_delivery() -> None:
    from bot.channels.telegram import classify
    from bot.delivery.channels import Outcome
    from core.errors import BotApiGarbledError, BotApiRefusedError, BotApiUnreachableError

    def refused(code: int, description: str = "x", **extra: object) -> BotApiRefusedError:
        return BotApiRefusedError(code=code, description=description, **extra)  # type: ignore[arg-type]

    cases = [
        (BotApiUnreachableError("sendMessage: ClientOSError"), Outcome.RETRY),
        (BotApiGarbledError(status=200, description="not JSON"), Outcome.RETRY),
        (BotApiGarbledError(status=400, description="not JSON"), Outcome.RETRY),
        (refused(502, "Bad Gateway"), Outcome.RETRY),
        (refused(418, "I'm a teapot"), Outcome.RETRY),
        (refused(401, "Unauthorized"), Outcome.RETRY),
        (refused(409, "Conflict"), Outcome.RETRY),
        (refused(429, "Too Many Requests", retry_after=3), Outcome.WAIT),
        (refused(403, "Forbidden: bot was blocked by the user"), Outcome.GONE),
        (refused(400, "Bad Request: chat not found"), Outcome.GONE),
        (refused(400, "Bad Request: message is too long"), Outcome.FAILED),
        (refused(400, "Bad Request: upgraded", migrate_to_chat_id=-100123), Outcome.MOVED),
    ]
    for error, outcome in cases:
        assert classify(error).outcome is outcome, error


async def test_failed_deliveries_can_be_queued_again_without_resending_the_sent(
    emulator: BotApiEmulator, seeded_sqlite: MigratedDatabase, tmp_path: Path
) -> None:
    chats = list(range(99_201, 99_221))
    await add_subscribers(seeded_sqlite.sessions, chats[:5])
    await publish_appeal(seeded_sqlite.url, MAY_DAY)
    await deliver(emulator, seeded_sqlite, MAY_DAY)
    await add_subscribers(seeded_sqlite.sessions, chats[5:])
    await publish_appeal(seeded_sqlite.url, MAY_DAY)
    emulator.set_faults(Faults(error_rate=1.0))
    await deliver(emulator, seeded_sqlite, MAY_DAY, backoff_first=0.01, max_attempts=2)
    assert await states(seeded_sqlite) == Counter({"sent": 5, "failed": 15})
    emulator.set_faults(Faults())
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "broadcast",
        str(MAY_DAY),
        "--retry-failed",
        "--wait",
        env={
            **os.environ,
            "APPEALBOT_DATABASE_URL": seeded_sqlite.url,
            "APPEALBOT_DATA_KEY": TEST_KEY_TEXT,
            "APPEALBOT_TELEGRAM_TOKEN": emulator.token,
            "APPEALBOT_TELEGRAM_API_URL": emulator.api_root,
        },
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()
    assert "15 failed queued again" in stdout.decode()
    assert "done: sent 20, failed 0" in stdout.decode()
    assert await states(seeded_sqlite) == Counter({"sent": 20})
    assert per_chat(emulator) == Counter(dict.fromkeys(chats, 1))


@TIMED
async def test_600_subscribers_at_the_default_settings_get_no_429(
    emulator: BotApiEmulator, seeded_sqlite: MigratedDatabase
) -> None:
    # The emulator keeps Telegram's limits as sliding windows (its strict default), and the
    # engine runs as configured out of the box: 30 messages a second.
    chats = list(range(40_001, 40_601))
    await add_subscribers(seeded_sqlite.sessions, chats)
    await publish_appeal(seeded_sqlite.url, MAY_DAY)
    async with running_engine(emulator, seeded_sqlite.url) as engine:
        engine.wake()
        progress = await asyncio.wait_for(until_done(seeded_sqlite.database, MAY_DAY), timeout=60)
    assert (progress.sent, progress.left) == (600, 0)
    assert per_chat(emulator) == Counter(dict.fromkeys(chats, 1))
    assert emulator.stats["http_429"] == 0
