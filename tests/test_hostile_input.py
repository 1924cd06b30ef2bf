"""Odd and hostile input gets a short, clear answer: no apology, no traceback, nothing lost."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from emulator import PROXY_PAGE, TRUNCATED_JSON, BotApiEmulator, Faults
from storage.models import Admin, Draft
from tests.support.bot import handled, running_bot, sessions_for

ADMIN, READER = 4301, 4302
HUGE = "9" * 25
EXPIRED = "This button has expired."
APOLOGY = "Sorry, something went wrong"


@pytest.fixture
async def admin_bot(emulator: BotApiEmulator, seeded_url: str) -> AsyncIterator[BotApiEmulator]:
    async with running_bot(emulator, seeded_url, admin_ids=[ADMIN]):
        yield emulator


def apologies(bot: BotApiEmulator) -> list[str]:
    return [m.text for chat in bot.world.messages.values() for m in chat if APOLOGY in m.text]


async def test_huge_numbers_in_deep_links_get_a_plain_answer(
    admin_bot: BotApiEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    for payload in (f"case_{HUGE}", f"appeal_{HUGE}", "case_-1", "appeal_0"):
        [answer] = await admin_bot.converse(READER, f"/start {payload}")
        assert answer.text.startswith("I found no"), payload
    assert apologies(admin_bot) == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize(
    "data",
    [
        f"case:{HUGE}",
        "case:abc",
        "case:",
        "case:1:2",
        "apl:-1",
        f"prt:4:{HUGE}",
        "prt:4",
        "apls:x",
        "surg:2",
        "sctr:kz",
        "sctr:KZ;DROP",
        "zzz:1",
        "",
        "dpub:1",
        "dfld:nonsense",
        f"rtry:{HUGE}",
    ],
)
async def test_malformed_buttons_have_expired(
    admin_bot: BotApiEmulator, caplog: pytest.LogCaptureFixture, data: str
) -> None:
    [start] = await admin_bot.converse(ADMIN, "/newappeal")
    query = admin_bot.tap_data(start, data)
    answer = await admin_bot.wait_for_answer(query)
    expected = {
        "dpub:1": "That draft is no longer open.",  # well formed: no text was sent yet
    }.get(data, EXPIRED)
    assert answer["text"] == expected
    await handled(admin_bot, admin_bot.world.last_update_id)
    assert apologies(admin_bot) == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("target", ["0", "-5", HUGE, "12abc", "١٢٣"])
async def test_admin_ids_must_be_telegram_user_ids(
    admin_bot: BotApiEmulator, seeded_url: str, target: str
) -> None:
    [answer] = await admin_bot.converse(ADMIN, f"/admins add {target}")
    assert "a Telegram user id is a positive number" in answer.text
    assert apologies(admin_bot) == []
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Admin)) == 0


async def test_an_edited_message_is_not_run_again(admin_bot: BotApiEmulator) -> None:
    [answer] = await admin_bot.converse(READER, "/case Kurmanov")
    await handled(
        admin_bot,
        admin_bot.edit_text(READER, 1, "/case Kuramshin"),
        admin_bot.edit_text(READER, 1, "/appeals"),
    )
    assert admin_bot.sent(READER) == [answer]


async def test_editing_the_pasted_appeal_does_not_add_it_twice(
    admin_bot: BotApiEmulator, seeded_url: str
) -> None:
    await admin_bot.converse(ADMIN, "/newappeal")
    text = (
        "Kazakhstan: trade unionist held in Shymkent\n\n"
        "On 3 March the police detained the trade unionist Erlan Baltabay in Shymkent. "
        "Please send protests to the Procurator General, Email: gp@prokuror.example.kz"
    )
    await admin_bot.converse(ADMIN, text, expect=2)
    await handled(admin_bot, admin_bot.edit_text(ADMIN, 2, text + " (edited)"))
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        draft = (await session.scalars(select(Draft))).one()
    assert draft.data["text"].count("Erlan Baltabay") == 1
    assert "(edited)" not in draft.data["text"]


async def test_a_garbled_get_updates_backs_off_and_recovers(
    admin_bot: BotApiEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    admin_bot.set_faults(Faults(updates_body='[{"update_id": "x"}]'))
    admin_bot.world.new_update.set()  # end the long poll in progress
    garbled = admin_bot.world.counters.garbled
    loop = asyncio.get_running_loop()
    started = loop.time()
    await admin_bot.wait_until(lambda: admin_bot.world.counters.garbled >= garbled + 3, timeout=20)
    took = loop.time() - started
    admin_bot.set_faults(Faults())
    [answer] = await admin_bot.converse(READER, "/case Kuramshin", timeout=40)
    assert answer.text.startswith("Vadim Kuramshin")
    assert took >= 2.0, took  # 1 s, then 1.5 s between tries ... not hundreds a second
    polling = [r.getMessage() for r in caplog.records if r.name == "bot.telegram.request"]
    assert len([m for m in polling if "polling for updates failed" in m]) == 1
    assert any("works again" in m for m in polling)
    assert not [r for r in caplog.records if r.levelno >= logging.CRITICAL]


@pytest.mark.parametrize("body", [TRUNCATED_JSON, PROXY_PAGE])
async def test_a_reply_that_failed_in_an_outage_arrives_when_it_ends(
    admin_bot: BotApiEmulator, body: str
) -> None:
    admin_bot.set_faults(Faults(garbled_rate=1.0, garbled_body=body))
    admin_bot.send_text(READER, "/case Kuramshin")
    await admin_bot.wait_until(lambda: admin_bot.stats["garbled"] >= 2, timeout=10)
    assert admin_bot.sent(READER) == []
    admin_bot.set_faults(Faults())
    [answer] = await admin_bot.wait_for_messages(READER, 1, timeout=20)
    assert answer.text.startswith("Vadim Kuramshin")


async def test_odd_time_zones_reminder_switches_and_forged_buttons_get_plain_answers(
    admin_bot: BotApiEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    await admin_bot.converse(READER, "/subscribe")
    for zone in ("x" * 5_000, "../../etc/passwd", "Europe/", "UTC+5", "🙂"):
        [answer] = await admin_bot.converse(READER, f"/timezone {zone}")
        assert "is not a time zone I know" in answer.text, zone
        assert len(answer.text) < 500
    for argument in (f"{HUGE} off", "1 maybe", "nothing-like-this on", "off"):
        [answer] = await admin_bot.converse(ADMIN, f"/reminders {argument}")
        assert answer.text.startswith(("/reminders", "There is no appeal")), argument
    [settings] = await admin_bot.converse(READER, "/settings")
    for data in ("szon:99", f"szon:{HUGE}", "szon:-1", "fgt:7", "sopn:1"):
        tapped = await admin_bot.wait_for_answer(admin_bot.tap_data(settings, data))
        assert APOLOGY not in str(tapped.get("text", "")), data
    assert apologies(admin_bot) == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
