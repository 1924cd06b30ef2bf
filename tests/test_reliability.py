"""What an adversarial run broke, each reproduced as it was found and shown to hold now."""

from __future__ import annotations

import asyncio
import itertools
import logging
import signal
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.delivery.channels import Message, Outcome
from bot.extract.fetch import is_public_address
from bot.logs import RedactPeople
from bot.telegram.flood import FloodLimits
from core.pseudonyms import Pseudonyms
from core.timing import MAX_WAIT, system_clock
from emulator import BotApiEmulator, Faults
from emulator.state import chat_object, user_object
from storage.enums import DeliveryState, SubscriberState
from storage.models import Delivery, Subscriber
from storage.repo.subscribers import at_address
from tests.support.bot import handled, running_bot, sessions_for
from tests.support.databases import MigratedDatabase
from tests.support.delivery import add_subscribers, eventually, running_engine
from tests.support.delivery import publish_appeal as publish_for_telegram
from tests.support.mail import (
    add_reader,
    body,
    email_channel,
    link,
    mail_settings,
    publish_appeal,
    reader_at,
    rows_in,
    subscriber,
)
from tests.support.offline import OfflineChats
from tests.support.privacy import file_holds, file_mentions, rows_naming, sealed_naming
from tests.support.processes import service_env, start_run
from tests.support.smtp import Sink, free_port, smtp_server

MAY_DAY, NEW_WAVE = 3, 5
READERS = [f"reader{n}@example.org" for n in range(4)]
CHATS = itertools.count(31_000)
MESSAGE = Message(text="An appeal", html="<p>An appeal</p>", subject="Appeal")


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
        refused = await channel.send(reader_at("пользователь@example.org"), MESSAGE)
        results = [await channel.send(reader_at(address), MESSAGE) for address in READERS]
    assert refused.outcome is Outcome.FAILED, "the message failed, nobody bounced"
    assert [result.outcome for result in results] == [Outcome.SENT] * len(READERS)
    assert [message["To"] for message in sink.messages] == READERS


async def test_a_relay_that_offers_smtputf8_gets_an_address_beyond_ascii() -> None:
    sink = Sink(smtputf8=True)
    async with email_channel(sink) as channel:
        result = await channel.send(reader_at("пользователь@example.org"), MESSAGE)
    assert result.outcome is Outcome.SENT
    assert [message["To"] for message in sink.messages] == ["пользователь@example.org"]


async def test_a_sender_refused_or_out_of_sequence_counts_against_the_message_not_the_reader() -> (
    None
):
    sink = Sink(mail_answers=["503 5.5.1 Error: nested MAIL command", "550 sender rejected"])
    async with email_channel(sink) as channel:
        first = await channel.send(reader_at("reader0@example.org"), MESSAGE)
        second = await channel.send(reader_at("reader0@example.org"), MESSAGE)
        third = await channel.send(reader_at("reader0@example.org"), MESSAGE)
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
    async with email_channel(sink, monotonic=lambda: now[0]) as channel:
        waits = [await channel.send(reader_at("reader0@example.org"), MESSAGE)]
        for _ in range(2):
            now[0] += waits[-1].retry_after or 0  # the pause has passed: a new spell
            waits.append(await channel.send(reader_at("reader0@example.org"), MESSAGE))
        same_spell = await channel.send(reader_at("reader1@example.org"), MESSAGE)
        sent = await channel.send(reader_at("reader0@example.org"), MESSAGE)
        again = await channel.send(reader_at("reader1@example.org"), MESSAGE)
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
        rows = (await session.scalars(select(Delivery))).all()
        waiting = [row for row in rows if row.state is DeliveryState.PENDING]
    assert len(waiting) == 2, "the victim's two rows wait"
    assert all(row.attempts == 0 and row.claimed_by is None for row in waiting)
    latest = system_clock() + timedelta(seconds=MAX_WAIT + 5)
    assert all(row.next_attempt_at <= latest for row in waiting), "at most an hour away"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("retry_after", [10**15, 2**70])
async def test_a_reply_told_to_wait_forever_is_answered_later_without_a_traceback(
    emulator: BotApiEmulator,
    seeded_url: str,
    caplog: pytest.LogCaptureFixture,
    retry_after: int,
) -> None:
    # Not a broadcast: a reader's own command, answered with a 429 that asks for ages.
    reader, other = 41_100, 41_101
    emulator.set_faults(Faults(retry_after={reader: retry_after}))
    async with running_bot(emulator, seeded_url):
        emulator.send_text(reader, "/start")
        await eventually(lambda: any(chat == reader for chat, _at in emulator.world.refused))
        [answer] = await emulator.converse(other, "/start", timeout=10)
        assert "urgent appeals" in answer.text, "the bot goes on answering others"
        emulator.set_faults(Faults())
    assert not [r for r in caplog.records if "OverflowError" in r.getMessage() + str(r.exc_info)]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


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
        people: list[int | str] = [chat, leaver, forgotten]
        assert file_mentions(database, people) == [], "sealed, even while subscribed"
        sealed = await sealed_naming(seeded_url, people)
        assert len(sealed) >= 3, "while subscribed, kept (sealed)"
        assert all(file_holds(database, value) for value in sealed)
        await emulator.converse(chat, "/unsubscribe")
        async with http.post(f"{web}/email/unsubscribe/{tokens[leaver]}") as left:
            assert left.status == 200
        async with http.post(f"{web}/email/forget/{tokens[forgotten]}") as done:
            assert done.status == 200
        # The service still runs: nothing was checkpointed by a clean shutdown.
        assert await rows_naming(seeded_url, [chat, leaver, forgotten]) == []
        assert file_mentions(database, people) == []
        assert not any(file_holds(database, value) for value in sealed)


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


# ---- 8. behind a reverse proxy, each visitor has their own sign-up budget ----------------------


@pytest.mark.parametrize(
    ("trusted", "accepted"),
    [("127.0.0.1", 6), ("", 5), ("10.0.0.0/8", 5)],
    ids=["the proxy is trusted", "nothing trusted", "another proxy trusted"],
)
async def test_behind_a_trusted_proxy_each_visitor_has_their_own_sign_up_budget(
    emulator: BotApiEmulator, seeded_url: str, sink: Sink, trusted: str, accepted: int
) -> None:
    http_port = free_port()
    web = f"http://127.0.0.1:{http_port}"
    async with (
        smtp_server(sink) as smtp_port,
        running_bot(
            emulator,
            seeded_url,
            trusted_proxies=trusted,
            **mail_settings(smtp_port, http_port),
        ),
        aiohttp.ClientSession() as http,
    ):
        answers = []
        for n in range(6):
            visitor = {"X-Forwarded-For": f"203.0.113.{n + 1}"}
            form = {"email": f"visitor{n}@example.org"}
            async with http.post(f"{web}/subscribe", data=form, headers=visitor) as answer:
                answers.append(answer.status)
    assert answers.count(200) == accepted, answers


# ---- 9. smaller ones --------------------------------------------------------------------------


async def test_no_page_can_be_framed_by_another_site(mail_bot: tuple[BotApiEmulator, str]) -> None:
    _, web = mail_bot
    async with aiohttp.ClientSession() as http:
        for path in ("/", "/healthz", "/metrics", "/email/settings/" + "x" * 32):
            async with http.get(web + path) as answer:
                assert answer.headers["X-Frame-Options"] == "DENY", path
                assert answer.headers["X-Content-Type-Options"] == "nosniff", path
        async with http.get(web + "/") as page:
            assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


async def test_a_replayed_webhook_update_is_handled_once_and_nonsense_gets_400(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    port, secret, chat = free_port(), "a-webhook-secret_0123456789", next(CHATS)
    local = f"http://127.0.0.1:{port}/telegram"
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}

    def update(update_id: int, text: str) -> dict[str, object]:
        return {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": chat_object(chat, "private"),
                "from": user_object(chat),
                "text": text,
                "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
            },
        }

    deep = b"[" * 100_000 + b"]" * 100_000
    async with (
        running_bot(
            emulator,
            seeded_url,
            webhook_url="https://bot.example.org/telegram",
            webhook_secret=secret,
            http_port=port,
        ),
        aiohttp.ClientSession() as http,
    ):
        for _ in range(3):
            async with http.post(local, json=update(800_001, "/start"), headers=headers) as sent:
                assert sent.status == 200
        for nonsense in ({"update_id": 800_002, "message": "hello"}, {"update_id": "x"}):
            async with http.post(local, json=nonsense, headers=headers) as refused:
                assert refused.status == 400, nonsense
        async with http.post(local, data=deep, headers=headers) as refused:
            assert refused.status == 400
        async with http.post(local, json=update(800_003, "/help"), headers=headers) as sent:
            assert sent.status == 200
        await handled(emulator, 800_001, 800_003)
    welcome, help_text = emulator.sent(chat)  # /start once, then /help
    assert "urgent appeals" in welcome.text
    assert "/start" in help_text.text


async def test_only_a_group_admin_changes_the_groups_language(
    bot: BotApiEmulator, seeded_url: str
) -> None:
    group, admin, member = -7_272, 81, 82
    bot.make_admin(group, admin)
    [settings] = await bot.converse(group, "/subscribe", user_id=admin, chat_type="group")
    refused = await bot.wait_for_answer(bot.tap(settings, "Русский", user_id=member))
    assert refused["show_alert"]
    assert "Only group admins" in str(refused["text"])
    assert await group_language(seeded_url, group) == "en"
    await bot.wait_for_answer(bot.tap(settings, "Русский", user_id=admin))
    assert await group_language(seeded_url, group) == "ru"


async def group_language(url: str, chat_id: int) -> str | None:
    async with sessions_for(url) as sessions, sessions() as session:
        return await session.scalar(
            select(Subscriber.language).where(at_address(session, "telegram", str(chat_id)))
        )


@pytest.mark.parametrize("name", ["localtime", "Factory", "posixrules", "right/UTC", "posix/UTC"])
async def test_time_zones_are_places_not_files_of_the_zone_database(
    offline: OfflineChats, name: str
) -> None:
    [answer] = await offline.converse(next(CHATS), f"/timezone {name}")
    assert "is not a time zone I know" in answer.text


def test_a_long_number_that_names_no_one_stays_readable_in_the_log() -> None:
    scrub = RedactPeople(Pseudonyms.derived("a-secret-bot-token-123"))
    assert scrub._scrub("Telegram asked us to wait retry_after 999999 s") == (
        "Telegram asked us to wait retry_after 999999 s"
    )
    for named in ("chat_id=7654321", "{'id': 7654321}", "user 7654321", "-1001234567890"):
        assert "7654321" not in scrub._scrub(named), named
        assert "#" in scrub._scrub(named), named


@pytest.mark.parametrize(
    "address", ["::127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::", "::ffff:10.0.0.1", "::1"]
)
def test_a_private_address_inside_an_ipv6_one_is_not_public(address: str) -> None:
    assert not is_public_address(address)


def test_public_addresses_stay_public() -> None:
    assert is_public_address("64:ff9b::808:808")
    assert is_public_address("2001:4860:4860::8888")


async def test_slow_clients_are_disconnected_and_others_still_served(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    port = free_port()
    async with (
        running_bot(emulator, seeded_url, http_port=port, http_timeout_seconds=1.0),
        aiohttp.ClientSession() as http,
    ):
        loop = asyncio.get_running_loop()
        started = loop.time()
        slow = [await asyncio.open_connection("127.0.0.1", port) for _ in range(20)]
        for _, writer in slow:
            writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # never finished
        body_trickle = await asyncio.open_connection("127.0.0.1", port)
        body_trickle[1].write(
            b"POST /subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\nemail="
        )
        async with http.get(f"http://127.0.0.1:{port}/healthz") as health:
            assert health.status == 200, "others are served meanwhile"
        for reader, _ in slow:
            assert await asyncio.wait_for(reader.read(), timeout=10) == b"", "closed"
        answer = await asyncio.wait_for(body_trickle[0].readline(), timeout=10)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:40]
        assert loop.time() - started < 8
        for _, writer in [*slow, body_trickle]:
            writer.close()


async def test_many_health_checks_at_once_ask_the_relay_once(
    mail_bot: tuple[BotApiEmulator, str], sink: Sink
) -> None:
    _, web = mail_bot
    sink.noop_delay = 0.3  # a relay that takes its time

    async def check(http: aiohttp.ClientSession) -> int:
        async with http.get(f"{web}/healthz") as health:
            return health.status

    async with aiohttp.ClientSession() as http:
        statuses = await asyncio.gather(*(check(http) for _ in range(20)))
    assert statuses == [200] * 20
    assert sink.noops == 1


async def test_a_fatal_signal_leaves_a_trace_on_stderr(
    emulator: BotApiEmulator, seeded_url: str, tmp_path: Path
) -> None:
    process = await start_run(emulator, tmp_path, service_env(emulator, seeded_url))
    process.send_signal(signal.SIGBUS)  # what a disk turning read-only under SQLite raises
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == -signal.SIGBUS
    assert "Fatal Python error: Bus error" in stderr.decode()


# ---- 3. who is subscribed cannot be read from the clock -----------------------------------------


async def test_a_sign_up_never_waits_for_the_relay_whether_on_the_list_or_not(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    for n in range(5):
        await add_reader(seeded_url, f"member{n}@example.org")
    # A relay that answers nothing until the end: a request that waited for it would never be
    # answered, so every answer coming back proves that no request waits for the relay, for a
    # member or a stranger (the difference the clock showed), whatever this machine's load.
    slow = Sink(hold=asyncio.Event())
    smtp_port, http_port = free_port(), free_port()
    web = f"http://127.0.0.1:{http_port}"
    answered: dict[str, list[int]] = {"member": [], "stranger": []}
    async with (
        smtp_server(slow, port=smtp_port),
        running_bot(
            emulator,
            seeded_url,
            trusted_proxies="127.0.0.1",  # each request its own visitor, none over its limit
            **mail_settings(smtp_port, http_port),
        ),
        aiohttp.ClientSession() as http,
    ):

        async def sign_up(who: str, n: int) -> int:
            headers = {"X-Forwarded-For": f"198.51.100.{2 * n + (who == 'stranger')}"}
            form = {"email": f"{who}{n}@example.org"}
            async with http.post(f"{web}/subscribe", data=form, headers=headers) as answer:
                await answer.text()
                return answer.status

        for n in range(5):
            for who in ("member", "stranger"):
                if n == 1 and who == "member":
                    # From here on, a confirmation is held by the relay while people sign up.
                    await slow.wait_started(1)
                status = await asyncio.wait_for(sign_up(who, n), timeout=15)
                answered[who].append(status)
        assert slow.hold is not None
        assert not slow.hold.is_set()
        slow.hold.set()
    assert answered == {"member": [200] * 5, "stranger": [200] * 5}
