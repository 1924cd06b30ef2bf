"""What an adversarial run broke, each reproduced as it was found and shown to hold now."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy import select

from bot.delivery.channels import Message, Outcome
from bot.delivery.email_channel import EmailChannel, Sender, SmtpOptions
from emulator import BotApiEmulator
from storage.enums import Channel, DeliveryState, SubscriberState
from storage.models import Delivery, Subscriber
from storage.repo.deliveries import Recipient
from tests.support.bot import sessions_for
from tests.support.mail import add_reader, publish_appeal, rows_in
from tests.support.smtp import Sink, smtp_server

MAY_DAY = 3
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
