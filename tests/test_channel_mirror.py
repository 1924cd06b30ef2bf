"""The channel mirror: every published appeal posted once, first; updates reply to it."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from sqlalchemy import func, select

from core.timing import system_clock
from emulator import BotApiEmulator
from storage.models import Appeal, Delivery, Subscriber
from tests.support.bot import running_bot, sessions_for
from tests.support.delivery import add_subscribers
from tests.support.drafts import paste, publish

ADMIN, READER = 4501, 4502
CHANNEL = -1_009_000_000_001
FIXTURES = Path(__file__).parent / "fixtures" / "appeals"


async def test_every_appeal_goes_to_the_channel_first_and_updates_reply_to_it(
    emulator: BotApiEmulator, seeded_url: str, tmp_path: Path
) -> None:
    emulator.add_channel(CHANNEL, "appeals_test")
    chats = list(range(8_501, 8_521))
    async with sessions_for(seeded_url) as sessions:
        await add_subscribers(sessions, chats)
    async with running_bot(
        emulator, seeded_url, admin_ids=[ADMIN], telegram_channel="@appeals_test"
    ):
        [welcome] = await emulator.converse(READER, "/start")
        assert "https://t.me/appeals_test" in welcome.text

        # The January 2012 appeal as if it came out this month: open, urgent.
        text = (FIXTURES / "2012-01-new-wave-of-arrests.txt").read_text("utf-8")
        text = text.replace("January 2012", f"{system_clock():%B %Y}")
        _, review = await paste(emulator, ADMIN, text)
        await publish(emulator, ADMIN, review, "Publish as urgent")
        await emulator.wait_until(lambda: all(emulator.sent(c) for c in chats), timeout=30)
        [post] = emulator.sent(CHANNEL)
        assert post.text.startswith("🔴 URGENT APPEAL")
        assert "buttons below" in post.text
        assert "/contacts_" not in post.text
        first_to_anyone = min(emulator.sent(chat)[0].monotonic for chat in chats)
        assert post.monotonic <= first_to_anyone
        async with sessions_for(seeded_url) as sessions, sessions() as session:
            appeal_id = await session.scalar(select(func.max(Appeal.id)))
            stored = await session.scalar(
                select(Delivery.external_id)
                .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
                .where(Delivery.appeal_id == appeal_id, Subscriber.mirror.is_(True))
            )
        assert stored == str(post.message_id), "the post's id is kept: updates reply to it"
        urls = [button["url"] for button in post.buttons]
        assert urls == [
            f"https://t.me/appeal_test_bot?start=contacts_{appeal_id}",
            f"https://t.me/appeal_test_bot?start=letter_{appeal_id}",
        ]
        [contacts] = await emulator.converse(READER, f"/start contacts_{appeal_id}")
        assert contacts.text.startswith("Whom to protest to")

        emulator.send_text(ADMIN, "/outcome Kuramshin released He was freed on 20 February.")
        await emulator.find(ADMIN, "✅ Outcome recorded")
        await emulator.wait_until(lambda: len(emulator.sent(CHANNEL)) == 2, timeout=20)
        outcome = emulator.sent(CHANNEL)[1]
        assert outcome.text.startswith("✅ OUTCOME")
        assert outcome.reply_to == post.message_id

    # Publishing again from the command line posts nothing twice.
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "broadcast",
        str(appeal_id),
        "--wait",
        env={
            **os.environ,
            "APPEALBOT_DATABASE_URL": seeded_url,
            "APPEALBOT_TELEGRAM_TOKEN": emulator.token,
            "APPEALBOT_TELEGRAM_API_URL": emulator.api_root,
            "APPEALBOT_TELEGRAM_CHANNEL": "@appeals_test",
        },
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()
    assert "0 newly queued" in stdout.decode()
    assert len(emulator.sent(CHANNEL)) == 2
