"""Privacy: who protested about whom is nowhere; people who leave leave nothing behind."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from bot.logs import configure_logging
from core.pseudonyms import Pseudonyms
from emulator import BotApiEmulator
from storage.models import AuditEntry, Protest
from tests.support.bot import running_bot, sessions_for
from tests.support.delivery import make_current
from tests.support.mail import body, link, mail_settings, publish_appeal
from tests.support.privacy import file_mentions, rows_naming
from tests.support.smtp import Sink, free_port, smtp_server

CHAT = 734_512_345  # a private chat: its id is its person's Telegram user id
ADMIN = 912_345_678
MAY_DAY = 3


def database_file(url: str) -> Path:
    return Path(url.removeprefix("sqlite+aiosqlite:///"))


async def protests(url: str) -> int:
    async with sessions_for(url) as sessions, sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Protest)) or 0)


async def test_unsubscribing_then_forget_leave_no_row_and_no_byte_that_names_the_chat(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    await make_current(seeded_url, 4)
    async with running_bot(emulator, seeded_url):
        await emulator.converse(CHAT, "/subscribe")
        [summary] = await emulator.converse(CHAT, "/case Kurmanov")
        await emulator.wait_for_answer(emulator.tap(summary, "Follow this case"))
        await emulator.wait_for_answer(emulator.tap(summary, "I sent a protest"))
        # Its appeal is about a second case too: following that one is offered.
        # (Sent after the tap is answered: waited for by what it says, not by a quiet spell.)
        await emulator.find(CHAT, "🔔 To hear how it ends for Dmitry Tikhonov")
        await emulator.converse(CHAT, "/timezone Asia/Almaty")
        assert await rows_naming(seeded_url, [CHAT]), "while subscribed, the chat id is kept"
        await emulator.converse(CHAT, "/unsubscribe")
        assert await rows_naming(seeded_url, [CHAT]) == []
        assert await protests(seeded_url) == 1, "the protest stays counted"

        await emulator.converse(CHAT, "/subscribe")
        [ask] = await emulator.converse(CHAT, "/forget")
        assert ask.text.startswith("🗑 Delete everything this bot knows about this chat?")
        await emulator.wait_for_answer(emulator.tap(ask, "Yes, delete everything"))
        await emulator.wait_for_edit(ask, 1)
        assert "nothing about this chat is kept" in ask.text
        # A tap on an appeal after /forget is counted again by the same hash: once only.
        [again] = await emulator.converse(CHAT, "/case Kurmanov")
        answer = await emulator.wait_for_answer(emulator.tap(again, "I sent a protest"))
        assert str(answer["text"]).startswith("Already counted")
    assert await rows_naming(seeded_url, [CHAT]) == []
    assert file_mentions(database_file(seeded_url), [CHAT]) == []
    assert await protests(seeded_url) == 1


async def test_an_address_that_leaves_or_asks_to_be_forgotten_is_nowhere(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    sink = Sink()
    http_port = free_port()
    web = f"http://127.0.0.1:{http_port}"
    leaver, forgotten = "leaver@example.org", "forget.me@example.org"
    async with (
        smtp_server(sink) as smtp_port,
        running_bot(emulator, seeded_url, **mail_settings(smtp_port, http_port)),
        aiohttp.ClientSession() as http,
    ):
        for address in (leaver, forgotten):
            async with http.post(f"{web}/subscribe", data={"email": address}) as answer:
                assert answer.status == 200
        for confirmation in await sink.wait_for(2):
            async with http.post(link(body(confirmation), "/email/confirm/")) as confirmed:
                assert confirmed.status == 200
        await publish_appeal(seeded_url, MAY_DAY)
        appeals = {str(message["To"]): message for message in (await sink.wait_for(4))[2:]}
        async with http.post(link(body(appeals[leaver]), "/email/unsubscribe/")) as left:
            assert left.status == 200
        forget_url = link(body(appeals[forgotten]), "/email/forget/")
        async with http.get(forget_url) as page:
            assert "Delete everything" in await page.text()
        assert await rows_naming(seeded_url, [forgotten]), "opening the page changes nothing"
        async with http.post(forget_url) as done:
            assert "Nothing is kept" in await done.text()
        async with http.post(forget_url) as twice:
            assert twice.status == 404
    assert await rows_naming(seeded_url, [leaver, forgotten]) == []
    assert file_mentions(database_file(seeded_url), [leaver, forgotten]) == []


@contextmanager
def logging_to(stream: io.StringIO, *, secret: str, json_lines: bool = False) -> Iterator[None]:
    """Log at DEBUG through the service's own set-up; put the test runner's back after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    configure_logging(
        secrets=[secret],
        level=logging.DEBUG,
        pseudonyms=Pseudonyms.derived(secret),
        stream=stream,
        json_lines=json_lines,
    )
    try:
        yield
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        for name, was in levels.items():
            logging.getLogger(name).setLevel(was)


async def test_a_whole_scenario_logged_at_debug_names_nobody_and_leaks_no_token(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    sink = Sink()
    http_port = free_port()
    reader = "reader.private@example.org"
    log = io.StringIO()
    await make_current(seeded_url, 4)
    with logging_to(log, secret=emulator.token):
        async with (
            smtp_server(sink) as smtp_port,
            running_bot(
                emulator,
                seeded_url,
                admin_ids=[ADMIN],
                log_level="DEBUG",
                **mail_settings(smtp_port, http_port),
            ),
            aiohttp.ClientSession() as http,
        ):
            await emulator.converse(CHAT, "/subscribe")
            [summary] = await emulator.converse(CHAT, "/case Kurmanov")
            await emulator.wait_for_answer(emulator.tap(summary, "I sent a protest"))
            await emulator.find(CHAT, "🔔 To hear how it ends")  # the offer to follow its cases
            await emulator.converse(CHAT, f"/email {reader}")
            [confirmation] = await sink.wait_for(1)
            async with http.post(link(body(confirmation), "/email/confirm/")) as confirmed:
                assert confirmed.status == 200
            await emulator.converse(ADMIN, "/stats")
            await emulator.converse(4_242_424, "/withdraw 1")  # refused, and not attributed
            await publish_appeal(seeded_url, MAY_DAY)
            [_, appeal] = await sink.wait_for(2)
            await emulator.wait_until(lambda: len(emulator.sent(CHAT)) >= 5, timeout=15)
            await emulator.converse(CHAT, "/unsubscribe")
            async with http.post(link(body(appeal), "/email/unsubscribe/")) as left:
                assert left.status == 200
            assert logging.getLogger("bot.app").isEnabledFor(logging.DEBUG)
    text = log.getvalue()
    assert "appealbot is running" in text
    assert "recip: [address]" in text, "the SMTP server's own log line, redacted"
    for needle in (emulator.token, reader, "appeals@example.org", str(CHAT), str(ADMIN)):
        assert needle not in text, needle
    assert str(4_242_424) not in text
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        refusal = await session.scalar(select(AuditEntry).where(AuditEntry.allowed.is_(False)))
    assert refusal is not None
    assert (refusal.actor, refusal.actor_id) == ("non-admin", None)


def test_json_logs_are_one_object_per_line_without_addresses_or_raw_ids() -> None:
    stream = io.StringIO()
    with logging_to(stream, secret="a-secret-bot-token-123", json_lines=True):
        logger = logging.getLogger("bot.test")
        logger.info("sent to %s at chat %d", "someone@example.org", CHAT)
        try:
            raise ValueError(f"chat {CHAT} refused")
        except ValueError:
            logger.exception("it failed")
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [event["level"] for event in events] == ["info", "error"]
    assert events[0]["logger"] == "bot.test"
    assert events[0]["message"].startswith("sent to [address] at chat #")
    same = Pseudonyms.derived("a-secret-bot-token-123").for_log(CHAT)
    assert same in events[0]["message"], "the same id, the same hash: lines can be followed"
    assert str(CHAT) not in stream.getvalue()
    assert "ValueError" in events[1]["error"]


async def test_an_email_typed_in_a_chat_that_then_asks_to_be_forgotten_is_nowhere(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    sink, address = Sink(), "typed.in.chat@example.org"
    http_port = free_port()
    async with (
        smtp_server(sink) as smtp_port,
        running_bot(emulator, seeded_url, **mail_settings(smtp_port, http_port)),
    ):
        await emulator.converse(CHAT, f"/email {address}")
        await sink.wait_for(1)  # the confirmation went out; nobody confirmed it
        assert await rows_naming(seeded_url, [address]), "while it waits, the address is kept"
        [ask] = await emulator.converse(CHAT, "/forget")
        await emulator.wait_for_answer(emulator.tap(ask, "Yes, delete everything"))
        await emulator.wait_for_edit(ask, 1)
        # The service still runs: nothing was checkpointed by a clean shutdown.
        assert await rows_naming(seeded_url, [address, CHAT]) == []
        assert file_mentions(database_file(seeded_url), [address, CHAT]) == []
