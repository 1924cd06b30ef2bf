"""The Bot API emulator behaves like Telegram where the bot's correctness depends on it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from emulator import BotApiEmulator, Faults, Limits
from emulator.limits import FloodControl
from emulator.telegram_html import HtmlParseError, parse_html


async def call(emulator: BotApiEmulator, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    """Call the emulator as a raw HTTP client with a JSON body."""
    url = f"{emulator.api_root}/bot{emulator.token}/{method}"
    async with aiohttp.ClientSession() as session, session.post(url, json=params) as response:
        return response.status, await response.json()


def ptb_bot(emulator: BotApiEmulator, *, read_timeout: float = 5.0) -> Bot:
    return Bot(
        emulator.token,
        base_url=f"{emulator.api_root}/bot",
        request=HTTPXRequest(read_timeout=read_timeout),
    )


# ---- HTML and limits on text ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<div>hello</div>", 'Unsupported start tag "div"'),
        ("1 < 2", 'Unsupported start tag ""'),
        ("Tom & Jerry", 'Character "&" must be escaped'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("plain</b>", "Unexpected end tag"),
        ("line<br>break", 'Unsupported start tag "br"'),
        ('<span class="x">s</span>', 'must have class "tg-spoiler"'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;"'),
    ],
)
async def test_invalid_html_is_refused_like_telegram(
    emulator: BotApiEmulator, html: str, error: str
) -> None:
    status, body = await call(emulator, "sendMessage", chat_id=1, text=html, parse_mode="HTML")
    assert status == 400
    assert body["description"].startswith("Bad Request: can't parse entities: ")
    assert error in body["description"]
    assert emulator.sent(1) == []


async def test_valid_html_becomes_text_and_entities(emulator: BotApiEmulator) -> None:
    html = (
        '<b>Free</b> &lt;Dmitry&gt; &amp; <a href="https://x.org/?a=1&amp;b=2">link</a> 😀<i>x</i>'
    )
    status, body = await call(emulator, "sendMessage", chat_id=5, text=html, parse_mode="HTML")
    assert status == 200, body
    message = body["result"]
    assert message["text"] == "Free <Dmitry> & link 😀x"
    entities = {entity["type"]: entity for entity in message["entities"]}
    assert entities["bold"]["offset"] == 0
    assert entities["bold"]["length"] == 4
    assert entities["text_link"]["url"] == "https://x.org/?a=1&b=2"
    # The emoji counts as two UTF-16 units, as Telegram's offsets do.
    assert entities["italic"]["offset"] == len("Free <Dmitry> & link ") + 2
    assert emulator.sent(5)[0].text == "Free <Dmitry> & link 😀x"


def test_parser_accepts_pre_with_code_and_rejects_tags_inside_code() -> None:
    text, entities = parse_html('<pre><code class="language-text">a &lt; b</code></pre>')
    assert text == "a < b"
    assert {entity["type"] for entity in entities} == {"pre", "code"}
    with pytest.raises(HtmlParseError):
        parse_html("<code><b>x</b></code>")


async def test_text_over_4096_characters_after_parsing_is_refused(
    emulator: BotApiEmulator,
) -> None:
    fits = "<b>" + "a" * 4096 + "</b>"  # 4103 characters of HTML, 4096 of text
    status, _ = await call(emulator, "sendMessage", chat_id=1, text=fits, parse_mode="HTML")
    assert status == 200
    status, body = await call(emulator, "sendMessage", chat_id=2, text="a" * 4097)
    assert status == 400
    assert body["description"] == "Bad Request: message is too long"
    status, body = await call(emulator, "sendMessage", chat_id=3, text=" \n ")
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")


async def test_callback_data_over_64_bytes_is_refused(emulator: BotApiEmulator) -> None:
    def markup(data: str) -> dict[str, Any]:
        return {"inline_keyboard": [[{"text": "Open", "callback_data": data}]]}

    status, _ = await call(
        emulator, "sendMessage", chat_id=1, text="x", reply_markup=markup("é" * 32)
    )
    assert status == 200
    status, body = await call(
        emulator, "sendMessage", chat_id=2, text="x", reply_markup=markup("é" * 32 + "a")
    )
    assert status == 400
    assert body["description"] == "Bad Request: BUTTON_DATA_INVALID"


async def test_set_my_commands_refuses_invalid_names(emulator: BotApiEmulator) -> None:
    good = [{"command": "case", "description": "Look up a case"}]
    assert (await call(emulator, "setMyCommands", commands=good))[0] == 200
    assert emulator.commands == good
    for bad in ("Case", "new-appeal", "", "x" * 33, "/case"):
        status, body = await call(
            emulator, "setMyCommands", commands=[{"command": bad, "description": "d"}]
        )
        assert (status, body["description"]) == (400, "Bad Request: BOT_COMMAND_INVALID"), bad
    assert emulator.commands == good


async def test_wrong_token_and_unknown_method(emulator: BotApiEmulator) -> None:
    url = f"{emulator.api_root}/bot999:wrong/getMe"
    async with aiohttp.ClientSession() as session, session.post(url) as response:
        assert response.status == 401
    status, _ = await call(emulator, "sendPigeon", chat_id=1)
    assert status == 404


# ---- flood limits ------------------------------------------------------------------------------


async def test_global_rate_answers_429_with_retry_after(emulator: BotApiEmulator) -> None:
    emulator.set_limits(Limits(global_rate=5, global_burst=5))
    results = [await call(emulator, "sendMessage", chat_id=100 + n, text="hi") for n in range(8)]
    statuses = [status for status, _ in results]
    assert statuses[:5] == [200] * 5
    assert 429 in statuses[5:]
    body = next(body for status, body in results if status == 429)
    assert body["parameters"]["retry_after"] >= 1
    assert (
        body["description"] == f"Too Many Requests: retry after {body['parameters']['retry_after']}"
    )
    assert emulator.stats["http_429"] == statuses.count(429)


async def test_per_chat_rate_allows_a_short_burst_then_429(emulator: BotApiEmulator) -> None:
    results = [await call(emulator, "sendMessage", chat_id=7, text=f"m{n}") for n in range(5)]
    assert [status for status, _ in results] == [200, 200, 200, 429, 429]
    assert results[3][1]["parameters"]["retry_after"] == 3
    # Other chats are not affected by one chat's limit.
    assert (await call(emulator, "sendMessage", chat_id=8, text="m"))[0] == 200


def test_the_strict_limits_are_sliding_windows() -> None:
    flood = FloodControl(Limits())
    at = 100.0
    sent = [flood.retry_after(1_000 + n, is_group=False, now=at + n / 1000) for n in range(31)]
    assert sent[:30] == [0] * 30
    assert sent[30] == 1
    # Any 1-second window: the 31st fits only once the first has left it.
    assert flood.retry_after(2_000, is_group=False, now=at + 0.999) == 1
    assert flood.retry_after(2_000, is_group=False, now=at + 1.0005) == 0
    # One chat: three within three seconds, then nothing until the first is three seconds old.
    chat = [flood.retry_after(7, is_group=False, now=at + 10 + n) for n in (0, 0.1, 0.2, 1.5, 2.9)]
    assert chat == [0, 0, 0, 2, 1]
    assert flood.retry_after(7, is_group=False, now=at + 13.0) == 0


def test_a_token_bucket_lets_more_than_30_into_one_second() -> None:
    """Why the strict mode is the default: the lenient bucket refills as it spends."""
    lenient = FloodControl(Limits(strict=False))
    strict = FloodControl(Limits())
    stamps = [100.0 + n / 60 for n in range(60)]  # one second's worth, at 60/s
    let_through = [
        sum(1 for n, at in enumerate(stamps) if flood.retry_after(n, is_group=False, now=at) == 0)
        for flood in (lenient, strict)
    ]
    assert let_through[0] > 30
    assert let_through[1] == 30


async def test_group_limit_is_20_per_minute(emulator: BotApiEmulator) -> None:
    emulator.set_limits(Limits(chat_rate=1000, chat_burst=1000))
    statuses = [
        (await call(emulator, "sendMessage", chat_id=-42, text=f"{n}"))[0] for n in range(21)
    ]
    assert statuses[:20] == [200] * 20
    assert statuses[20] == 429


async def test_limits_can_be_switched_off(emulator: BotApiEmulator) -> None:
    emulator.set_limits(Limits(enabled=False))
    statuses = [(await call(emulator, "sendMessage", chat_id=9, text=f"{n}"))[0] for n in range(50)]
    assert statuses == [200] * 50


async def test_ptb_sees_retry_after(emulator: BotApiEmulator) -> None:
    emulator.set_limits(Limits(chat_burst=1))
    async with ptb_bot(emulator) as bot:
        await bot.send_message(11, "first")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(11, "second")
    retry_after = caught.value.retry_after
    assert isinstance(retry_after, timedelta)
    assert retry_after.total_seconds() >= 1


# ---- chats that are gone or moved ---------------------------------------------------------------


async def test_blocked_chat_gets_403_which_ptb_maps_to_forbidden(emulator: BotApiEmulator) -> None:
    emulator.block(21)
    emulator.block(22, reason="user is deactivated")
    async with ptb_bot(emulator) as bot:
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(21, "hello")
        with pytest.raises(Forbidden, match="user is deactivated"):
            await bot.send_message(22, "hello")
    assert emulator.sent(21) == []
    status, body = await call(emulator, "sendMessage", chat_id=21, text="x")
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")


async def test_migrated_group_answers_with_the_new_chat_id(emulator: BotApiEmulator) -> None:
    emulator.migrate(-500, -1000000000500)
    status, body = await call(emulator, "sendMessage", chat_id=-500, text="x")
    assert status == 400
    assert body["parameters"] == {"migrate_to_chat_id": -1000000000500}
    async with ptb_bot(emulator) as bot:
        with pytest.raises(ChatMigrated) as caught:
            await bot.send_message(-500, "hello")
        assert caught.value.new_chat_id == -1000000000500
        await bot.send_message(-1000000000500, "hello again")
    assert [sent.text for sent in emulator.sent(-1000000000500)] == ["hello again"]


# ---- injected failures ---------------------------------------------------------------------------


async def test_injected_server_errors(emulator: BotApiEmulator) -> None:
    emulator.set_faults(Faults(error_rate=1.0))
    async with ptb_bot(emulator) as bot:
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(1, "x")
    emulator.set_faults(Faults(error_rate=0.5, seed=7))
    statuses = [
        (await call(emulator, "sendMessage", chat_id=1000 + n, text="x"))[0] for n in range(20)
    ]
    assert 502 in statuses
    assert 200 in statuses
    assert emulator.stats["http_5xx"] == 1 + statuses.count(502)
    assert emulator.stats["delivered"] == statuses.count(200)


async def test_injected_timeouts_deliver_nothing(emulator: BotApiEmulator) -> None:
    emulator.set_faults(Faults(timeout_rate=1.0, timeout_seconds=3.0))
    async with ptb_bot(emulator, read_timeout=0.3) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(1, "x")
    assert emulator.sent(1) == []
    assert emulator.stats["timeouts"] == 1


# ---- acting as users ---------------------------------------------------------------------------


async def test_user_messages_arrive_through_long_polling(emulator: BotApiEmulator) -> None:
    async with ptb_bot(emulator) as bot:
        assert (await bot.get_me()).username == "appeal_test_bot"
        poll = asyncio.create_task(bot.get_updates(timeout=5))
        calls = emulator.world.counters.calls
        await emulator.wait_until(lambda: calls["getupdates"] >= 1, what="the long poll")
        assert not poll.done()
        emulator.send_text(31, "/case Тихонов", language_code="ru")
        updates = await asyncio.wait_for(poll, timeout=2)
        assert len(updates) == 1
        message = updates[0].message
        assert message is not None
        assert message.text == "/case Тихонов"
        assert message.from_user is not None
        assert message.from_user.language_code == "ru"
        assert message.chat.type == "private"
        assert message.parse_entities(["bot_command"])
        # Acknowledged updates are not delivered again.
        again = await bot.get_updates(offset=updates[0].update_id + 1, timeout=0)
        assert again == ()


async def test_group_message_and_button_tap(emulator: BotApiEmulator) -> None:
    emulator.make_admin(-77, 5)
    async with ptb_bot(emulator) as bot:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Contacts", callback_data="c:1")]])
        await bot.send_message(-77, "<b>Case</b>", parse_mode="HTML", reply_markup=markup)
        sent = emulator.sent(-77)[0]
        query_id = emulator.tap(sent, "contacts", user_id=5)
        updates = await bot.get_updates(timeout=1)
        query = updates[-1].callback_query
        assert query is not None
        assert (query.data, query.from_user.id, query.id) == ("c:1", 5, query_id)
        assert query.message is not None
        assert query.message.chat.type == "group"
        await query.answer("Counted")
        assert (await emulator.wait_for_answer(query_id))["text"] == "Counted"
        admin = await bot.get_chat_member(-77, 5)
        member = await bot.get_chat_member(-77, 6)
        assert (admin.status, member.status) == ("administrator", "member")


async def test_edits_change_the_message_and_refuse_no_op_edits(emulator: BotApiEmulator) -> None:
    async with ptb_bot(emulator) as bot:
        message = await bot.send_message(41, "Sent 0 of 10")
        await bot.edit_message_text("Sent 5 of 10", chat_id=41, message_id=message.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_text("Sent 5 of 10", chat_id=41, message_id=message.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_text("x", chat_id=41, message_id=999_999)
    [sent] = emulator.sent(41)
    assert (sent.text, sent.edits) == ("Sent 5 of 10", 1)


async def test_bot_removed_from_group_emits_my_chat_member(emulator: BotApiEmulator) -> None:
    emulator.change_membership(-88, status="left", user_id=3)
    async with ptb_bot(emulator) as bot:
        [update] = await bot.get_updates(timeout=1)
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == "left"
    assert update.my_chat_member.chat.id == -88


async def test_paid_broadcasts_have_their_own_budget(emulator: BotApiEmulator) -> None:
    emulator.set_limits(Limits(global_rate=2, global_burst=2))
    free = [(await call(emulator, "sendMessage", chat_id=300 + n, text="x"))[0] for n in range(3)]
    paid = [
        (await call(emulator, "sendMessage", chat_id=400 + n, text="x", allow_paid_broadcast=True))[
            0
        ]
        for n in range(50)
    ]
    assert free == [200, 200, 429]
    assert paid == [200] * 50
    assert emulator.stats["paid"] == 50
