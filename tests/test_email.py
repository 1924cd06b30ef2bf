"""Email: double opt-in over real HTTP, appeals over real SMTP, bounces, outages, one click."""

from __future__ import annotations

import asyncio
import base64
import email
import re
import subprocess
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import aiohttp
import dkim
from sqlalchemy import select

from bot.channels.mail_mime import Dkim, Sender, build_email
from bot.delivery.channels import Message, Outcome
from bot.services.delivery_signals import NoDelivery
from bot.services.email import EmailService, Quota, SignUp, SignUpLimits
from core.timing import system_clock
from emulator import BotApiEmulator
from storage.db_time import db_now
from storage.enums import DeliveryPurpose, DeliveryState, SubscriberState
from storage.models import Case, Delivery, Subscriber
from storage.repo.subscribers import at_address, new_token
from tests.support.bot import running_bot, sessions_for
from tests.support.databases import MigratedDatabase
from tests.support.keys import TEST_SEALER, sealed
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
from tests.support.smtp import Sink, free_port, smtp_server
from tests.support.timeline import MovableClock

MAY_DAY = 3
READER = 9090


async def test_an_appeal_email_has_both_parts_every_header_and_letters_to_open(
    mail_bot: tuple[BotApiEmulator, str], seeded_url: str, sink: Sink
) -> None:
    token = await add_reader(seeded_url, "reader@example.org")
    await publish_appeal(seeded_url, MAY_DAY)
    [message] = await sink.wait_for(1)
    assert message["To"] == "reader@example.org"
    assert message["From"] == "appeals@example.org"
    assert message["Subject"].startswith("Appeal: Almaty: police attack socialists")
    for header in ("Message-ID", "Date", "List-Id", "Auto-Submitted"):
        assert message[header], header
    unsubscribe = message["List-Unsubscribe"]
    assert f"/email/unsubscribe/{token}>" in unsubscribe
    assert "<mailto:appeals@example.org?subject=unsubscribe" in unsubscribe
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None
    assert html is not None
    text, page = plain.get_content(), html.get_content()
    assert "This appeal is from 2 May 2011" in text
    assert f"/email/unsubscribe/{token}" in text, "a visible unsubscribe link"
    assert "Dear Minister," in text
    assert "Your Honour," in text
    # Escaped HTML, nothing remote, no tracking.
    assert "&#34;unsanctioned protest&#34;" in page or "&quot;unsanctioned" in page
    assert "<img" not in page
    assert "<script" not in page
    mailtos = re.findall(r'href="(mailto:[^"]+)"', page)
    assert mailtos, "each letter opens in the reader's mail program"
    first = urlsplit(mailtos[0].replace("&amp;", "&"))
    query = parse_qs(first.query)
    assert unquote(first.path) == "mid@mid.kz" or "@" in unquote(first.path)
    assert query["subject"][0].endswith(": a letter of concern")
    assert query["body"][0].startswith(("Dear ", "Your "))
    assert "robert.cwi@gmail.com" in query["cc"][0]


def test_a_message_survives_the_wire_whatever_its_text_holds() -> None:
    sender = Sender(mail_from="appeals@example.org", public_url="https://appeals.example.org")
    text = (
        "Суд над Айнур Курмановой: 3 = 3.\n.a line that starts with a dot\n"
        + "word " * 60
        + "\ntrailing space \n\nUnsubscribe: %%UNSUBSCRIBE_URL%%"
    )
    html = '<p class="x">' + "Ä&amp;" * 50 + "</p>"
    mail = build_email(
        sender,
        "reader@example.org",
        subject="Обращение: суд",
        text=text,
        html=html,
        token="tok",
        clock=system_clock,
    )
    lines = mail.data.split(b"\r\n")
    # List-Unsubscribe's <links> cannot be cut (a mail client reads them as they are): that
    # line may be as long as RFC 5322 allows; every other line is as short as it advises.
    assert all(len(line) <= 998 for line in lines)
    folded = [line for line in lines if not line.startswith(b"List-Unsubscribe:")]
    assert all(len(line) <= 78 for line in folded), "no line longer than RFC 5322 advises"
    assert b"\n" not in mail.data.replace(b"\r\n", b"")
    parsed = email.message_from_bytes(mail.data, policy=default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == "Обращение: суд"
    plain, page = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert plain is not None
    assert page is not None
    expected = text.replace("%%UNSUBSCRIBE_URL%%", sender.unsubscribe_url("tok"))
    assert plain.get_content().replace("\r\n", "\n").rstrip("\n") == expected
    assert page.get_content().replace("\r\n", "\n").rstrip("\n") == html
    assert parsed["List-Unsubscribe"].startswith("<https://appeals.example.org/email/unsub")


async def test_double_opt_in_over_http_then_one_click_unsubscribe(
    mail_bot: tuple[BotApiEmulator, str], seeded_url: str, sink: Sink
) -> None:
    _, web = mail_bot
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{web}/subscribe") as page:
            assert page.status == 200
            assert '<form method="post" action="/subscribe">' in await page.text()
        async with http.post(f"{web}/subscribe", data={"email": "New@Example.org"}) as answer:
            assert answer.status == 200
            said = await answer.text()
        assert "a confirmation link is on its way" in said
        found = await subscriber(seeded_url, "new@example.org")
        assert found is not None
        assert found.state is SubscriberState.PENDING
        [confirmation] = await sink.wait_for(1)
        assert confirmation["To"] == "new@example.org", "one mailbox, kept in one spelling"
        assert confirmation["List-Unsubscribe"] is None
        confirm_url = link(body(confirmation), "/email/confirm/")
        async with http.get(f"{web}/email/confirm/{'x' * 32}") as wrong:
            assert wrong.status == 404
        async with http.get(confirm_url) as page:
            assert page.status == 200
            assert "<button" in await page.text()
        found = await subscriber(seeded_url, "new@example.org")
        assert found is not None
        assert found.state is SubscriberState.PENDING, "opening the link changes nothing"
        async with http.post(confirm_url) as confirmed:
            assert confirmed.status == 200
            assert "Confirmed" in await confirmed.text()
        found = await subscriber(seeded_url, "new@example.org")
        assert found is not None
        assert found.state is SubscriberState.ACTIVE
        await publish_appeal(seeded_url, MAY_DAY)
        [_, appeal] = await sink.wait_for(2)
        unsubscribe_url = link(body(appeal), "/email/unsubscribe/")
        # A link scanner's GET changes nothing.
        async with http.get(unsubscribe_url) as page:
            assert page.status == 200
            assert "<button" in await page.text()
        found = await subscriber(seeded_url, "new@example.org")
        assert found is not None
        assert found.state is SubscriberState.ACTIVE
        # The mail client's one-click POST (RFC 8058).
        async with http.post(
            unsubscribe_url,
            data="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ) as done:
            assert done.status == 200
        assert await subscriber(seeded_url, "new@example.org") is None, "the address is gone"
        async with sessions_for(seeded_url) as sessions, sessions() as session:
            left = await session.scalar(
                select(Subscriber).where(
                    Subscriber.unsubscribe_token == unsubscribe_url.rsplit("/", 1)[1]
                )
            )
        assert left is not None, "an anonymous count stays"
        assert (left.state, left.address_sealed) == (SubscriberState.UNSUBSCRIBED, None)
        async with http.post(f"{web}/email/unsubscribe/{'y' * 32}") as wrong:
            assert wrong.status == 404


async def test_sign_ups_are_limited_and_never_tell_who_is_on_the_list(
    mail_bot: tuple[BotApiEmulator, str], seeded_url: str, sink: Sink
) -> None:
    _, web = mail_bot
    await add_reader(seeded_url, "member@example.org")
    answers = []
    async with aiohttp.ClientSession() as http:
        for address in ("member@example.org", "twice@example.org", "twice@example.org"):
            async with http.post(f"{web}/subscribe", data={"email": address}) as answer:
                answers.append((answer.status, await answer.text()))
        async with http.post(
            f"{web}/subscribe", data={"email": "bot@example.org", "website": "spam"}
        ) as trap:
            answers.append((trap.status, await trap.text()))
        async with http.post(f"{web}/subscribe", data={"email": "not an address"}) as bad:
            assert bad.status == 400
            assert "does not look like an email address" in await bad.text()
        async with http.post(f"{web}/subscribe", data={"email": "fifth@example.org"}) as fifth:
            assert fifth.status == 200
        async with http.post(f"{web}/subscribe", data={"email": "sixth@example.org"}) as slow:
            assert slow.status == 429
    notes = {re.search(r"<strong>(.*?)</strong>", text).group(1) for _, text in answers}  # type: ignore[union-attr]
    assert len(notes) == 1, "the same answer, on the list or not, honeypot or not"
    await sink.wait_for(3)
    # One confirmation and one reminder for the new address; nothing to the member or bot.
    assert [message["To"] for message in sink.messages] == [
        "twice@example.org",
        "twice@example.org",
        "fifth@example.org",
    ]
    assert await subscriber(seeded_url, "bot@example.org") is None


async def test_one_mailbox_signed_up_in_two_spellings_is_one_reader(
    mail_bot: tuple[BotApiEmulator, str], seeded_url: str, sink: Sink
) -> None:
    _, web = mail_bot
    async with aiohttp.ClientSession() as http:
        for address in ("Victim@Example.org", "victim@example.org"):
            async with http.post(f"{web}/subscribe", data={"email": address}) as answer:
                assert answer.status == 200
    # Asked twice: a confirmation and a reminder, both to the one mailbox.
    await sink.wait_for(2)
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        rows = (
            await session.scalars(select(Subscriber).where(Subscriber.channel == "email"))
        ).all()
    opened = [TEST_SEALER.open("email", row.address_sealed) for row in rows]
    mailboxes = [address for address in opened if (address or "").lower() == "victim@example.org"]
    assert mailboxes == ["victim@example.org"], "one subscriber, one confirmation"
    assert [message["To"] for message in sink.messages] == ["victim@example.org"] * 2


async def test_a_4xx_is_tried_again_and_delivered_once(
    mail_bot: tuple[BotApiEmulator, str], seeded_url: str, sink: Sink
) -> None:
    sink.data_answers = ["451 Try again later"]
    await add_reader(seeded_url, "later@example.org")
    await publish_appeal(seeded_url, MAY_DAY)
    await sink.wait_for(1, timeout=30)
    # Recorded as sent: nothing more will go for it.
    await rows_in(seeded_url, {DeliveryState.SENT: 1})
    assert len(sink.to("later@example.org")) == 1


async def test_no_such_user_bounces_at_once_and_gets_nothing_more(
    mail_bot: tuple[BotApiEmulator, str], seeded_url: str, sink: Sink
) -> None:
    sink.refuse_rcpt["gone@example.org"] = "550 5.1.1 No such user"
    await add_reader(seeded_url, "gone@example.org")
    await add_reader(seeded_url, "here@example.org")
    await publish_appeal(seeded_url, MAY_DAY)
    await sink.wait_for(1)
    async with asyncio.timeout(10):
        # A bounced address is not kept: only a count of bounces stays.
        while await subscriber(seeded_url, "gone@example.org") is not None:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    await publish_appeal(seeded_url, 5)
    await sink.wait_for(2)
    assert sink.to("gone@example.org") == []
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        bounced = (
            await session.scalars(
                select(Subscriber).where(Subscriber.state == SubscriberState.BOUNCED)
            )
        ).all()
        [gone] = bounced
        rows = (
            await session.scalars(select(Delivery).where(Delivery.subscriber_id == gone.id))
        ).all()
    assert gone.address_sealed is None, "a bounced address is counted, not kept"
    assert [(row.appeal_id, row.attempts) for row in rows] == [(MAY_DAY, 1)]


async def test_a_relay_down_for_a_while_loses_nothing_and_repeats_nothing(
    emulator: BotApiEmulator, seeded_url: str, sink: Sink
) -> None:
    smtp_port, http_port = free_port(), free_port()
    readers = [f"r{n}@example.org" for n in range(5)]
    for address in readers:
        await add_reader(seeded_url, address)
    async with running_bot(emulator, seeded_url, **mail_settings(smtp_port, http_port)):
        await publish_appeal(seeded_url, MAY_DAY)
        # The relay is down: every delivery has tried, and waits without using an attempt.
        await rows_in(seeded_url, {DeliveryState.PENDING: 5}, error="relay unreachable")
        async with smtp_server(sink, port=smtp_port):
            await sink.wait_for(5, timeout=40)
            await rows_in(seeded_url, {DeliveryState.SENT: 5})
    assert sorted(message["To"] for message in sink.messages) == readers
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        assert set(await session.scalars(select(Delivery.attempts))) == {1}


async def test_email_sign_up_from_telegram(
    mail_bot: tuple[BotApiEmulator, str], seeded_url: str, sink: Sink
) -> None:
    bot, _ = mail_bot
    [usage] = await bot.converse(READER, "/email")
    assert "/email you@example.org" in usage.text
    [asked] = await bot.converse(READER, "/email friend@example.org")
    assert "a confirmation link is on its way" in asked.text
    [confirmation] = await sink.wait_for(1)
    assert confirmation["To"] == "friend@example.org"
    [bad] = await bot.converse(READER, "/email friend-at-example")
    assert "does not look like an email address" in bad.text


async def test_health_and_metrics_for_operators_say_counts_never_who(
    mail_bot: tuple[BotApiEmulator, str], seeded_url: str, sink: Sink
) -> None:
    _, web = mail_bot
    await add_reader(seeded_url, "counted@example.org")
    await publish_appeal(seeded_url, MAY_DAY)
    await sink.wait_for(1)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{web}/healthz") as health:
            assert health.status == 200
            assert await health.json() == {
                "ok": True,
                "database": True,
                "smtp": True,
                "delivery": True,
            }
        async with http.get(f"{web}/metrics") as metrics:
            assert metrics.status == 200
            text = await metrics.text()
    assert 'appealbot_subscribers{channel="email",state="active"} 1.0' in text
    assert "appealbot_deliveries{" in text
    assert "appealbot_queue_depth" in text
    assert "@" not in text, "no address, ever"


async def test_health_says_when_the_relay_is_down(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    http_port = free_port()
    async with (
        running_bot(emulator, seeded_url, **mail_settings(free_port(), http_port)),
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{http_port}/healthz") as health,
    ):
        assert health.status == 503
        assert (await health.json())["smtp"] is False


async def test_dkim_signs_the_list_headers_when_configured(sink: Sink, tmp_path: Path) -> None:
    key = tmp_path / "dkim.pem"

    def make_key() -> bytes:
        subprocess.run(
            ["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True
        )
        run = ["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"]
        return subprocess.run(run, check=True, capture_output=True).stdout

    public = await asyncio.to_thread(make_key)
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
    signer = Dkim(selector="s1", domain="example.org", key=key.read_bytes())
    async with email_channel(sink, dkim=signer) as channel:
        message = Message(text="Hello %%UNSUBSCRIBE_URL%%", html="<p>Hi</p>")
        result = await channel.send(reader_at("r@example.org"), message)
    assert result.outcome is Outcome.SENT
    [raw] = sink.raw
    signature = raw.split(b"\r\n\r\n")[0].decode()
    assert "DKIM-Signature:" in signature
    for header in ("list-unsubscribe", "list-unsubscribe-post", "from"):
        assert header in signature.lower().split("h=")[1].split(";")[0]
    assert dkim.verify(raw, dnsfunc=lambda name, timeout=5: record)


async def test_unconfirmed_sign_ups_expire_after_seven_days(seeded_url: str) -> None:
    from datetime import timedelta

    from tests.support.app import app_for

    now = system_clock()
    async with sessions_for(seeded_url) as sessions, sessions.begin() as session:
        for address, age in (("old@example.org", 8), ("young@example.org", 6)):
            session.add(
                Subscriber(
                    channel="email",
                    **sealed("email", address),
                    state=SubscriberState.PENDING,
                    confirm_token=f"{address[:5]}-token-0123456789abcdef",
                    unsubscribe_token=new_token(),
                    created_at=now - timedelta(days=age),
                    updated_at=now,
                )
            )
    async with app_for(seeded_url) as app:
        assert not await app.services.email.confirm("old@e-token-0123456789abcdef")
        assert (await app.services.time.sweep()).expired_sign_ups == 1
        assert await app.services.email.confirm("young-token-0123456789abcdef")
    assert await subscriber(seeded_url, "old@example.org") is None
    young = await subscriber(seeded_url, "young@example.org")
    assert young is not None
    assert young.state is SubscriberState.ACTIVE


async def test_a_reader_chooses_urgency_countries_and_cases_on_the_settings_page(
    mail_bot: tuple[BotApiEmulator, str], seeded_url: str
) -> None:
    from sqlalchemy.orm import selectinload

    _, web = mail_bot
    token = await add_reader(seeded_url, "chooser@example.org")
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        kurmanov = await session.scalar(select(Case.id).where(Case.slug == "ainur-kurmanov"))
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{web}/email/settings/{token}") as page:
            assert page.status == 200
            text = await page.text()
        assert 'name="country" value="KZ"' in text
        assert f'name="case" value="{kurmanov}"' in text
        assert 'name="delivery" value="digest"' in text
        form = [
            ("urgent_only", "1"),
            ("country", "KZ"),
            ("country", "XX"),
            ("case", str(kurmanov)),
            ("delivery", "digest"),
            ("digest_hour", "19"),
            ("timezone", "Asia/Almaty"),
        ]
        async with http.post(f"{web}/email/settings/{token}", data=form) as saved:
            assert saved.status == 200
            assert "Saved." in await saved.text()
        bad_zone = [*form[:-1], ("timezone", "Mars/Olympus")]
        async with http.post(f"{web}/email/settings/{token}", data=bad_zone) as kept:
            assert "“Mars/Olympus” is not a time zone we know" in await kept.text()
        async with http.get(f"{web}/email/settings/{'z' * 32}") as wrong:
            assert wrong.status == 404
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        chooser = await session.scalar(
            select(Subscriber)
            .where(at_address(session, "email", "chooser@example.org"))
            .options(selectinload(Subscriber.followed), selectinload(Subscriber.country_filter))
        )
    assert chooser is not None
    assert chooser.urgent_only
    assert chooser.countries == ["KZ"], "an unknown country is dropped"
    assert [case.id for case in chooser.followed] == [kurmanov]
    assert (chooser.digest, chooser.digest_hour, chooser.timezone) == (True, 19, "Asia/Almaty")


async def test_over_the_budget_a_confirmation_waits_its_turn_and_one_mailbox_gets_two_at_most(
    sqlite_db: MigratedDatabase,
) -> None:
    now = [0.0]
    service = EmailService(
        sqlite_db.database,
        enabled=True,
        channel="email",
        delivery=NoDelivery(),
        check_deliverability=False,
        limits=SignUpLimits(overall=Quota(2, 60)),
        clock=MovableClock(),
        monotonic=lambda: now[0],
    )
    # Two strangers spend the whole budget of a minute...
    said = [
        await service.sign_up(f"stranger{n}@example.org", sender_key=f"net:{n}") for n in (1, 2)
    ]
    # ...and the next real visitor is told the truth, and their confirmation is queued.
    said.append(await service.sign_up("reader@example.org", sender_key="net:3"))
    assert said == [SignUp.ASKED, SignUp.ASKED, SignUp.LATER]
    # One mailbox under several tags: two confirmations a day at most, whatever the spelling.
    for n, tagged in enumerate(
        ("Victim+1@example.org", "victim+2@example.org", "victim+3@example.org")
    ):
        now[0] += 1
        await service.sign_up(tagged, sender_key=f"net:{10 + n}")
    async with sqlite_db.sessions() as session:
        rows = (
            await session.execute(
                select(Subscriber.address_sealed, Delivery.next_attempt_at)
                .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
                .where(Delivery.purpose == DeliveryPurpose.CONFIRM)
            )
        ).all()
        # Due times are the database's: counted from the database's now.
        db_time = await session.scalar(select(db_now()))
    assert db_time is not None
    due = {TEST_SEALER.open("email", sealed): (at - db_time).total_seconds() for sealed, at in rows}
    assert due["stranger1@example.org"] < 1
    assert 55 <= due["reader@example.org"] <= 65, "it goes when the budget allows, not never"
    assert len([a for a in due if (a or "").startswith("victim")]) == 2
