"""What a reader sees for /start, /help and /case, typed as a user types it."""

from __future__ import annotations

from datetime import date

import pytest

from emulator import BotApiEmulator
from storage.enums import AppealStatus, Urgency
from storage.repo.appeals import NewAppeal, create_appeal
from storage.repo.cases import upsert_case
from tests.support.bot import running_bot, sessions_for
from tests.support.offline import OfflineChats

CHAT = 4242


async def test_start_welcomes_with_buttons(offline: OfflineChats) -> None:
    [welcome] = await offline.converse(CHAT, "/start")
    assert "urgent appeals" in welcome.text
    assert "model letter" in welcome.text
    labels = [button["text"] for button in welcome.buttons]
    assert any("Latest urgent appeals" in label for label in labels)
    assert any("Subscribe" in label for label in labels)
    assert any("Help" in label for label in labels)


async def test_start_buttons_open_appeals_subscribe_and_help(bot: BotApiEmulator) -> None:
    [welcome] = await bot.converse(CHAT, "/start")
    bot.tap(welcome, "Latest urgent appeals")
    [listing] = (await bot.wait_for_messages(CHAT, 2))[1:]
    assert listing.text.startswith("Latest appeals")
    bot.tap(welcome, "Help")
    [help_text] = (await bot.wait_for_messages(CHAT, 3))[2:]
    assert "/case <name>" in help_text.text


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("case_dmitry-tikhonov", "Dmitry Tikhonov"),
        ("case_vadim-kuramshin", "Vadim Kuramshin"),
        ("appeal_3", "Drop the charges against Dmitry Tikhonov"),
    ],
)
async def test_deep_links_open_a_case_or_appeal(
    offline: OfflineChats, payload: str, expected: str
) -> None:
    [answer] = await offline.converse(CHAT, f"/start {payload}")
    assert expected in answer.text
    assert "urgent appeals" not in answer.text


async def test_deep_link_to_a_missing_case_says_so(offline: OfflineChats) -> None:
    [answer] = await offline.converse(CHAT, "/start case_nobody-here")
    assert "found no case" in answer.text
    assert "/appeals" in answer.text


async def test_help_lists_every_command_and_the_menu_matches(bot: BotApiEmulator) -> None:
    [help_text] = await bot.converse(CHAT, "/help")
    registered = {command["command"] for command in bot.commands}
    assert registered == {
        "appeals",
        "case",
        "contacts",
        "letter",
        "subscribe",
        "settings",
        "unsubscribe",
        "email",
        "timezone",
        "language",
        "forget",
        "start",
        "help",
    }
    for name in registered:
        assert f"/{name}" in help_text.text


async def test_case_by_another_spelling_shows_the_summary(offline: OfflineChats) -> None:
    [summary] = await offline.converse(CHAT, "/case Karamshin")
    text = summary.text
    assert text.startswith("Vadim Kuramshin")
    assert "Almaty, Kazakhstan" in text
    assert "Status: no outcome recorded; the newest appeal is from January 2012" in text
    assert "prison-rights campaigner" in text
    assert "2 May 2011: Almaty: police attack socialists at May Day" in text
    assert "January 2012: Kazakhstan: new wave of arrests" in text
    assert "Protests sent" not in text, "no zero counters"
    labels = [button["text"] for button in summary.buttons]
    assert labels == ["📬 Contacts", "✍️ Model letter"], "nothing about it is open"
    assert any(entity["type"] == "bold" for entity in summary.entities)


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("Тихонов", "Dmitry Tikhonov"),
        ("Дмитрий Тихонов", "Dmitry Tikhonov"),
        ("Курманов", "Ainur Kurmanov"),
        ("Курамшин", "Vadim Kuramshin"),
        ("Шанырак", "Shanyrak residents"),
        ("Tikhonv", "Dmitry Tikhonov"),
        ("tikhonof", "Dmitry Tikhonov"),
        ("Kuramshn", "Vadim Kuramshin"),
        ("kurm", "Ainur Kurmanov"),
        ("Aimur", "Ainur Kurmanov"),
        ("dima", "Dmitry Tikhonov"),
        ("Lomaev", "Taraz arrests, March 2010"),
        ("  ainur   KURMANOV ", "Ainur Kurmanov"),
    ],
)
async def test_lookup_forgives_what_people_type(
    offline: OfflineChats, query: str, name: str
) -> None:
    [summary] = await offline.converse(CHAT, f"/case {query}")
    assert summary.text.splitlines()[0] == name


async def test_latin_input_finds_a_name_written_only_in_cyrillic(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    async with sessions_for(seeded_url) as sessions, sessions.begin() as session:
        case, _ = await upsert_case(session, slug="zhanna-b", name="Жанна Баймашева", country="KZ")
        await create_appeal(
            session,
            NewAppeal(
                slug="zhanna-b-appeal",
                title="Жанна Баймашева задержана",
                summary="Её задержали после собрания.",
                urgency=Urgency.NORMAL,
                issued_on=date(2012, 2, 1),
                cases=[case],
                status=AppealStatus.PUBLISHED,
            ),
        )
    async with running_bot(emulator, seeded_url):
        [summary] = await emulator.converse(CHAT, "/case Zhanna Baimasheva")
    assert summary.text.startswith("Жанна Баймашева")


async def test_several_matches_give_a_pick_list(bot: BotApiEmulator) -> None:
    [pick] = await bot.converse(CHAT, "/case Vladimir")
    assert "Several cases match “Vladimir”" in pick.text
    assert "Vladimir Lomaev" in pick.text
    assert "Vladimir Kozlov" in pick.text
    assert [button["text"] for button in pick.buttons] == [
        "Taraz arrests, March 2010",
        "January 2012 arrests of opposition acti…",
    ]
    bot.tap(pick, "Taraz")
    summary = (await bot.wait_for_messages(CHAT, 2))[-1]
    assert summary.text.startswith("Taraz arrests, March 2010")
    assert "7 March" in summary.text or "March 2010" in summary.text


async def test_no_match_points_to_appeals(offline: OfflineChats) -> None:
    [answer] = await offline.converse(CHAT, "/case Zzyzx Qwerty")
    assert "found no case matching “Zzyzx Qwerty”" in answer.text
    assert "/appeals" in answer.text


async def test_case_alone_lists_open_cases(bot: BotApiEmulator) -> None:
    [listing] = await bot.converse(CHAT, "/case")
    assert listing.text.startswith("Open cases (7)")
    assert len(listing.buttons) == 7
    bot.tap(listing, "Shanyrak")
    summary = (await bot.wait_for_messages(CHAT, 2))[-1]
    assert summary.text.startswith("Shanyrak residents")


async def test_html_and_oversized_input_get_a_clear_answer(bot: BotApiEmulator) -> None:
    [escaped] = await bot.converse(CHAT, "/case <b>Tom</b> & <script>x</script>")
    assert "<b>Tom</b> & <script>x</script>" in escaped.text
    [too_long] = await bot.converse(CHAT, "/case " + "x" * 5000)
    assert "shorter name" in too_long.text
    assert bot.stats["bad_requests"] == 0


async def test_group_commands_addressed_to_the_bot(offline: OfflineChats) -> None:
    [summary] = await offline.converse(
        -300, "/case@appeal_test_bot Kurmanov", user_id=11, chat_type="group"
    )
    assert summary.text.startswith("Ainur Kurmanov")
