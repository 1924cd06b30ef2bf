"""What an adversarial run broke, each reproduced as it was found and shown to hold now."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.delivery.channels import Message, Outcome
from bot.delivery.email_channel import EmailChannel, Sender, SmtpOptions
from bot.telegram.flood import FloodLimits
from core.timing import MAX_WAIT
from emulator import BotApiEmulator, Faults
from storage.enums import Channel, DeliveryState, SubscriberState
from storage.models import Delivery, Subscriber
from storage.repo.deliveries import Recipient
from storage.types import utcnow
from tests.support.bot import running_bot, sessions_for
from tests.support.databases import MigratedDatabase
from tests.support.delivery import add_subscribers, eventually, running_engine
from tests.support.delivery import publish_appeal as publish_for_telegram
from tests.support.mail import (
    add_reader,
    body,
    link,
    mail_settings,
    publish_appeal,
    rows_in,
    subscriber,
)
from tests.support.privacy import file_mentions, rows_naming
from tests.support.smtp import Sink, free_port, smtp_server

MAY_DAY, NEW_WAVE = 3, 5
READERS = [f"reader{n}@example.org" for n in range(4)]
CHATS = itertools.count(31_000)
MESSAGE = Message(text="An appeal", html="<p>An appeal</p>", extra={"subject": "Appeal"})


def to(address: str) -> Recipient:
    return Recipient(None, Channel.EMAIL, None, None, address, "en", True, "t" * 32)


@asynccontextmanager
async def email_channel(
    sink: Sink, clock: Callable[[], float] = time.monotonic
) -> AsyncIterator[EmailChannel]:
    """One pooled connection to a real SMTP server, as the service builds it."""
    async with smtp_server(sink) as port:
        channel = EmailChannel(
            SmtpOptions(host="127.0.0.1", port=port, security="none", connections=1),
            Sender(mail_from="appeals@example.org", public_url="https://appeals.example.org"),
            rate=1000.0,
            clock=clock,
        )
        await channel.start()
        try:
            yield channel
        finally:
            await channel.close()


# ---- 1. an address beyond ASCII must not get real readers bounced ---------------------------


async def test_addresses_with_letters_beyond_ascii_cannot_get_real_readers_bounced(
    mail_bot: tuple[BotApiEmulator, str], seeded_url: str, sink: Sink
) -> None:
    bot, _ = mail_bot
    for address in READERS:
        await add_reader(seeded_url, address)
    for n in range(16):
        [answer] = await bot.converse(next(CHATS), f"/email пользователь{n}@example.org")
        assert "letters other than Latin before the @" in answer.text
    await publish_appeal(seeded_url, MAY_DAY)
    await sink.wait_for(len(READERS))
    await rows_in(seeded_url, {DeliveryState.SENT: len(READERS)})
    assert sorted(message["To"] for message in sink.messages) == READERS
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        states = set(await session.scalars(select(Subscriber.state)))
    assert states == {SubscriberState.ACTIVE}


async def test_an_address_in_another_script_after_the_at_is_written_in_ascii(
    mail_bot: tuple[BotApiEmulator, str], sink: Sink
) -> None:
    bot, _ = mail_bot
    [answer] = await bot.converse(next(CHATS), "/email reader@пример.рф")
    assert "a confirmation link is on its way" in answer.text
    [confirmation] = await sink.wait_for(1)
    assert confirmation["To"] == "reader@xn--e1afmkfd.xn--p1ai"


async def test_a_failed_transaction_never_reaches_the_next_message_on_its_connection() -> None:
    sink = Sink()
    async with email_channel(sink) as channel:
        refused = await channel.send(to("пользователь@example.org"), MESSAGE)
        results = [await channel.send(to(address), MESSAGE) for address in READERS]
    assert refused.outcome is Outcome.FAILED, "the message failed, nobody bounced"
    assert [result.outcome for result in results] == [Outcome.SENT] * len(READERS)
    assert [message["To"] for message in sink.messages] == READERS


async def test_a_relay_that_offers_smtputf8_gets_an_address_beyond_ascii() -> None:
    sink = Sink(smtputf8=True)
    async with email_channel(sink) as channel:
        result = await channel.send(to("пользователь@example.org"), MESSAGE)
    assert result.outcome is Outcome.SENT
    assert [message["To"] for message in sink.messages] == ["пользователь@example.org"]


async def test_a_sender_refused_or_out_of_sequence_counts_against_the_message_not_the_reader() -> (
    None
):
    sink = Sink(mail_answers=["503 5.5.1 Error: nested MAIL command", "550 sender rejected"])
    async with email_channel(sink) as channel:
        first = await channel.send(to("reader0@example.org"), MESSAGE)
        second = await channel.send(to("reader0@example.org"), MESSAGE)
        third = await channel.send(to("reader0@example.org"), MESSAGE)
    assert (first.outcome, second.outcome) == (Outcome.RETRY, Outcome.RETRY)
    assert third.outcome is Outcome.SENT


# ---- 5. a relay answering 4xx for a while fails nothing -------------------------------------


async def test_a_relay_answering_421_for_a_while_uses_no_attempt_and_loses_nothing(
    mail_bot: tuple[BotApiEmulator, str], seeded_url: str, sink: Sink
) -> None:
    sink.mail_answers = ["421 4.3.2 Service not available, closing channel"] * 12
    for address in READERS:
        await add_reader(seeded_url, address)
    await publish_appeal(seeded_url, MAY_DAY)
    await sink.wait_for(len(READERS), timeout=60)
    await rows_in(seeded_url, {DeliveryState.SENT: len(READERS)}, timeout=60)
    assert sink.mail_answers == [], "the relay said 421 twelve times"
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        attempts = set(await session.scalars(select(Delivery.attempts)))
    assert attempts == {1}, "a busy relay used no attempt"
    assert sorted(message["To"] for message in sink.messages) == READERS


async def test_4xx_answers_wait_with_a_pause_that_grows_with_each_spell() -> None:
    sink = Sink(mail_answers=["451 4.7.1 Greylisted, try later"] * 4)
    now = [0.0]
    async with email_channel(sink, clock=lambda: now[0]) as channel:
        waits = [await channel.send(to("reader0@example.org"), MESSAGE)]
        for _ in range(2):
            now[0] += waits[-1].retry_after or 0  # the pause has passed: a new spell
            waits.append(await channel.send(to("reader0@example.org"), MESSAGE))
        same_spell = await channel.send(to("reader1@example.org"), MESSAGE)
        sent = await channel.send(to("reader0@example.org"), MESSAGE)
        again = await channel.send(to("reader1@example.org"), MESSAGE)
    assert [result.outcome for result in waits] == [Outcome.WAIT] * 3
    pauses = [result.retry_after or 0 for result in waits]
    assert pauses == [10.0, 20.0, 40.0]
    assert same_spell.retry_after == 40.0, "answers within one spell count once"
    assert (sent.outcome, again.outcome) == (Outcome.SENT, Outcome.SENT)


# ---- 2. one chat's flood delays only that chat ------------------------------------------------


async def test_a_flood_from_one_chat_delays_only_that_chat(bot: BotApiEmulator) -> None:
    flooder, other = next(CHATS), next(CHATS)
    for _ in range(100):
        bot.send_text(flooder, "/help")
    await bot.wait_until(lambda: len(bot.sent(flooder)) >= 2, what="the flood's first answers")
    loop = asyncio.get_running_loop()
    asked = loop.time()
    [answer] = await bot.converse(other, "/start", timeout=10)
    waited = loop.time() - asked
    assert "urgent appeals" in answer.text
    assert waited < 2.0, f"another reader waited {waited:.1f} s behind one chat's flood"
    assert len(bot.sent(flooder)) < 10, "the flood's answers still go at Telegram's pace"


# ---- 4. an absurd retry_after breaks nothing -------------------------------------------------


@pytest.mark.parametrize("retry_after", [999_999, 10**15])
async def test_an_absurd_retry_after_is_capped_and_every_outcome_is_recorded(
    emulator: BotApiEmulator,
    seeded_sqlite_db: MigratedDatabase,
    caplog: pytest.LogCaptureFixture,
    retry_after: int,
) -> None:
    victim, others = 41_000, list(range(41_001, 41_021))
    emulator.set_faults(Faults(retry_after={victim: retry_after}))
    await add_subscribers(seeded_sqlite_db.sessions, [victim, *others])
    await publish_for_telegram(seeded_sqlite_db.url, MAY_DAY)
    limits = FloodLimits(max_pause=1.0)  # the cap of a pause of every broadcast, kept short
    async with running_engine(emulator, seeded_sqlite_db.url, limits=limits) as engine:
        engine.wake()
        await emulator.wait_until(lambda: all(emulator.sent(chat) for chat in others), timeout=20)
        await eventually(lambda: engine.stats.outcomes["sent"] == len(others))
        assert engine.alive
        # A later broadcast is not held up by what one chat was told.
        await publish_for_telegram(seeded_sqlite_db.url, NEW_WAVE)
        await emulator.wait_until(
            lambda: all(len(emulator.sent(chat)) == 2 for chat in others), timeout=20
        )
        loop = asyncio.get_running_loop()
        stopping = loop.time()
    assert loop.time() - stopping < 5, "the engine stops at once"
    async with seeded_sqlite_db.sessions() as session:
        rows = (await session.scalars(select(Delivery).where(Delivery.chat_id.is_(None)))).all()
        waiting = [row for row in rows if row.state is DeliveryState.PENDING]
    assert len(waiting) == 2, "the victim's two rows wait"
    assert all(row.attempts == 0 and row.claimed_by is None for row in waiting)
    latest = utcnow() + timedelta(seconds=MAX_WAIT + 5)
    assert all(row.next_attempt_at <= latest for row in waiting), "at most an hour away"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


# ---- 6. what is deleted is gone from the files at once ----------------------------------------


async def test_deleted_people_are_gone_from_the_write_ahead_log_at_once(
    emulator: BotApiEmulator, seeded_url: str, sink: Sink
) -> None:
    chat, leaver, forgotten = 734_512_399, "leaver@example.org", "forget.me@example.org"
    database = Path(seeded_url.removeprefix("sqlite+aiosqlite:///"))
    http_port = free_port()
    web = f"http://127.0.0.1:{http_port}"
    async with (
        smtp_server(sink) as smtp_port,
        running_bot(emulator, seeded_url, **mail_settings(smtp_port, http_port)),
        aiohttp.ClientSession() as http,
    ):
        await emulator.converse(chat, "/subscribe")
        await emulator.converse(chat, "/timezone Asia/Almaty")
        tokens = {address: await add_reader(seeded_url, address) for address in (leaver, forgotten)}
        await publish_appeal(seeded_url, MAY_DAY)
        await sink.wait_for(2)
        assert file_mentions(database, [chat, leaver, forgotten]), "while subscribed, kept"
        await emulator.converse(chat, "/unsubscribe")
        async with http.post(f"{web}/email/unsubscribe/{tokens[leaver]}") as left:
            assert left.status == 200
        async with http.post(f"{web}/email/forget/{tokens[forgotten]}") as done:
            assert done.status == 200
        # The service still runs: nothing was checkpointed by a clean shutdown.
        assert await rows_naming(seeded_url, [chat, leaver, forgotten]) == []
        assert file_mentions(database, [chat, leaver, forgotten]) == []


# ---- 7. opening a confirmation link is not confirming -----------------------------------------


async def test_a_link_scanner_that_opens_the_confirmation_link_confirms_nothing(
    mail_bot: tuple[BotApiEmulator, str], seeded_url: str, sink: Sink
) -> None:
    _, web = mail_bot
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{web}/subscribe", data={"email": "owner@example.org"}) as asked:
            assert asked.status == 200
        [confirmation] = await sink.wait_for(1)
        url = link(body(confirmation), "/email/confirm/")
        for _ in range(2):
            async with http.get(url) as page, http.head(url) as head:
                assert (page.status, head.status) == (200, 200)
        pending = await subscriber(seeded_url, "owner@example.org")
        assert pending is not None
        assert pending.state is SubscriberState.PENDING
        async with http.post(url) as confirmed:
            assert "Confirmed" in await confirmed.text()
    active = await subscriber(seeded_url, "owner@example.org")
    assert active is not None
    assert active.state is SubscriberState.ACTIVE
