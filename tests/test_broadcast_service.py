"""Broadcasting from the running service and from the command line, crashes included."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from bot.delivery.engine_config import EngineConfig
from emulator import BotApiEmulator, Faults, Limits
from storage.enums import DeliveryPurpose, DeliveryState
from storage.models import Delivery
from tests.support.bot import running_bot, sessions_for
from tests.support.delivery import add_subscribers, publish_appeal
from tests.support.groups import TIMED
from tests.support.processes import service_env, start_run

MAY_DAY = 3
ADMIN = 99


async def test_the_admin_sees_live_progress_then_a_summary(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    chats = list(range(1_001, 1_151))
    async with sessions_for(seeded_url) as sessions:
        await add_subscribers(sessions, chats)
    async with running_bot(emulator, seeded_url):
        await publish_appeal(seeded_url, MAY_DAY, progress_chat_id=ADMIN)
        [progress] = await emulator.wait_for_messages(ADMIN, 1, timeout=10)
        assert progress.text.startswith("📤 Broadcasting: Almaty: police attack")
        # It goes out through the outbox saying it starts; the progress job edits it.
        await emulator.wait_until(lambda: "of 150" in progress.text, timeout=10)
        await emulator.wait_until(
            lambda: progress.text.startswith("✅ Broadcast finished"), timeout=30
        )
    assert progress.text.startswith("✅ Broadcast finished")
    assert "Sent 150 of 150 · failed 0 · gone 0" in progress.text
    during = [text for text in progress.history if text.startswith("📤")]
    assert len(during) >= 2, progress.history
    assert "/s ·" in during[-1]
    assert "left" in during[-1]
    assert len(emulator.sent(ADMIN)) == 1
    assert all(len(emulator.sent(chat)) == 1 for chat in chats)
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        [(state, post)] = (
            await session.execute(
                select(Delivery.state, Delivery.external_id).where(
                    Delivery.purpose == DeliveryPurpose.PROGRESS
                )
            )
        ).all()
    assert (state, post) == (DeliveryState.SENT, str(progress.message_id)), "one way out"


@TIMED
async def test_a_case_lookup_is_answered_at_once_during_a_broadcast(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    chats = list(range(2_001, 2_301))
    async with sessions_for(seeded_url) as sessions:
        await add_subscribers(sessions, chats)
    async with running_bot(emulator, seeded_url):
        await publish_appeal(seeded_url, MAY_DAY)
        await emulator.wait_until(lambda: emulator.stats["delivered"] >= 30)
        overtaken = []
        for n in range(5):
            before = emulator.stats["delivered"]
            [answer] = await emulator.converse(3_000 + n, "/case Kuramshin", timeout=5)
            # Broadcast messages that went out while the person waited for the answer.
            overtaken.append(emulator.stats["delivered"] - before - 1)
            assert answer.text.startswith("Vadim Kuramshin")
            await asyncio.sleep(0.3)
        in_progress = emulator.stats["delivered"]
    assert in_progress < 300, "the broadcast was still going while people asked"
    # The answer does not queue behind the broadcast (at 30/s, a place in the queue would
    # mean hundreds of messages first); a few go out while the handler reads the database.
    assert max(overtaken) <= 10, overtaken
    assert emulator.stats["http_429"] == 0


@TIMED
async def test_kill_9_mid_broadcast_then_restart_loses_nobody(
    emulator: BotApiEmulator, seeded_url: str, tmp_path: Path
) -> None:
    rate = 60
    chats = list(range(5_001, 5_301))
    async with sessions_for(seeded_url) as sessions:
        await add_subscribers(sessions, chats)
    # A paid broadcast, so that the strict emulator allows 60 a second; default leases.
    env = service_env(
        emulator,
        seeded_url,
        APPEALBOT_TELEGRAM_PAID_BROADCAST="true",
        APPEALBOT_TELEGRAM_PAID_RATE=str(rate),
    )

    async def start() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "broadcast",
            str(MAY_DAY),
            "--wait",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )

    first = await start()
    exited = asyncio.create_task(first.wait())
    await emulator.wait_until(
        lambda: emulator.stats["delivered"] >= 100 or exited.done(), timeout=60
    )
    assert not exited.done(), (await first.communicate())[1].decode()
    first.kill()
    await first.wait()
    assert first.returncode == -9
    killed_at = emulator.stats["delivered"]
    assert killed_at < len(chats), "the broadcast finished before the kill"

    restarted = time.monotonic()
    second = await start()
    stdout, stderr = await asyncio.wait_for(second.communicate(), timeout=120)
    assert second.returncode == 0, stderr.decode()
    assert "0 newly queued, 300 in all" in stdout.decode()
    assert "done: sent 300, failed 0, gone 0 of 300" in stdout.decode()
    last = max(sent.monotonic for chat in chats for sent in emulator.sent(chat))
    remaining_time = (len(chats) - killed_at) / rate
    assert last - restarted <= 15 + remaining_time, (last - restarted, remaining_time)

    counts = Counter({chat: len(emulator.sent(chat)) for chat in chats})
    assert min(counts.values()) == 1, "somebody was skipped"
    repeats = sum(count - 1 for count in counts.values())
    assert repeats <= EngineConfig.for_rate(rate).max_in_flight
    assert emulator.stats["http_429"] == 0
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        rows = Counter(state for state in await session.scalars(select(Delivery.state)))
        claimed = await session.scalar(select(func.count()).where(Delivery.claimed_by.is_not(None)))
    assert rows == Counter({DeliveryState.SENT: 300})
    assert claimed == 0


@TIMED
async def test_sigterm_mid_broadcast_leaves_nothing_claimed(
    emulator: BotApiEmulator, seeded_url: str, tmp_path: Path
) -> None:
    chats = list(range(6_001, 6_201))
    async with sessions_for(seeded_url) as sessions:
        await add_subscribers(sessions, chats)
    process = await start_run(emulator, tmp_path, service_env(emulator, seeded_url))
    try:
        await publish_appeal(seeded_url, MAY_DAY)
        await emulator.wait_until(lambda: emulator.stats["delivered"] >= 40, timeout=30)
    finally:
        asked = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    took = time.monotonic() - asked
    assert process.returncode == 0, stderr.decode()
    assert took <= 10, took
    sent_before = emulator.stats["delivered"]
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        states = Counter(state for state in await session.scalars(select(Delivery.state)))
        claimed = await session.scalar(select(func.count()).where(Delivery.claimed_by.is_not(None)))
    assert DeliveryState.SENDING not in states
    assert claimed == 0
    assert states[DeliveryState.SENT] == sent_before
    assert states[DeliveryState.PENDING] == len(chats) - sent_before


async def test_progress_shows_the_rate_and_the_pauses_telegram_imposed(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    emulator.set_limits(Limits(global_rate=10))  # Telegram, stricter than we were told
    chats = list(range(7_001, 7_121))
    async with sessions_for(seeded_url) as sessions:
        await add_subscribers(sessions, chats)
    async with running_bot(emulator, seeded_url):
        await publish_appeal(seeded_url, MAY_DAY, progress_chat_id=ADMIN)
        [progress] = await emulator.wait_for_messages(ADMIN, 1, timeout=10)
        await emulator.wait_until(
            lambda: progress.text.startswith("✅ Broadcast finished"), timeout=90
        )
    shown = "\n".join([*progress.history, progress.text])
    assert emulator.stats["http_429"] > 0
    assert "Telegram asked us to slow down" in shown
    assert "Telegram paused us" in shown
    assert "left at that rate" in shown
    assert all(len(emulator.sent(chat)) == 1 for chat in chats)


async def test_the_final_summary_is_shown_even_when_telegram_refused_it_the_first_time(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    chats = list(range(7_501, 7_521))
    async with sessions_for(seeded_url) as sessions:
        await add_subscribers(sessions, chats)
    async with running_bot(emulator, seeded_url):
        await publish_appeal(seeded_url, MAY_DAY, progress_chat_id=ADMIN)
        # Every edit fails until the broadcast has been found finished (ticks are 3 s apart).
        emulator.set_faults(Faults(error_rate=1.0, methods=frozenset({"editmessagetext"})))
        await emulator.wait_until(lambda: all(emulator.sent(chat) for chat in chats), timeout=20)
        async with sessions_for(seeded_url) as sessions:

            async def recorded() -> bool:
                async with sessions() as session:
                    done = await session.scalar(
                        select(func.count()).where(
                            Delivery.state == DeliveryState.SENT,
                            Delivery.subscriber_id.is_not(None),
                        )
                    )
                return done == len(chats)

            async with asyncio.timeout(20):
                while not await recorded():  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
        # A tick that found it finished had its edit refused.
        refused = emulator.stats["http_5xx"]
        await emulator.wait_until(lambda: emulator.stats["http_5xx"] > refused, timeout=10)
        emulator.set_faults(Faults())
        [progress] = emulator.sent(ADMIN)
        await emulator.wait_until(
            lambda: progress.text.startswith("✅ Broadcast finished"), timeout=15
        )
    assert "Sent 20 of 20" in progress.text
