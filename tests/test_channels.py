"""A channel is one module: one defined here, and registered, gets what every channel gets."""

from __future__ import annotations

import asyncio
import email
import email.policy
import signal
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import insert, select

from bot.app import Overrides
from bot.delivery.channels import Can, Message, Mirror, Outcome, Pace, SendResult, Turn
from bot.presentation.news import AppealNews, View
from bot.presentation.render import Presenter, as_text
from bot.services.actors import Actor
from bot.services.outcomes import OutcomeRequest
from emulator import BotApiEmulator
from storage.enums import AppealStatus, CaseStatus, DeliveryPurpose, DeliveryState, SubscriberState
from storage.items import Item, Nudge, Publication, Reminder
from storage.models import Delivery, Subscriber, subscriber_cases
from storage.repo.appeals import get_appeal
from storage.repo.deliveries import Recipient
from storage.repo.subscribers import new_token
from tests.support.app import app_for
from tests.support.bot import running_bot, sessions_for
from tests.support.groups import TIMED
from tests.support.keys import sealed
from tests.support.mail import add_reader, add_readers, mail_settings, rows_in
from tests.support.mail import publish_appeal as publish_for_email
from tests.support.processes import service_env, start_run
from tests.support.smtp import Sink, free_port, smtp_server
from tests.support.timeline import MovableClock, add_appeal

ALMATY = ZoneInfo("Asia/Almaty")


class PigeonPost:
    """A channel nobody ships: messages carried to lofts, each with a ring number."""

    name = "pigeon"
    renders: frozenset[type[Item]] = frozenset({Publication, Reminder, Nudge})
    can = frozenset({Can.THREAD})
    role: str | None = None
    gone = SubscriberState.UNSUBSCRIBED
    pace = Pace(rate=50.0, concurrency=4)

    def __init__(self) -> None:
        self.carried: list[tuple[Recipient, Message]] = []
        self.arrived = asyncio.Event()

    def render(self, view: View, recipient: Recipient) -> Message | None:
        """A broadcast's words as plain text and simple HTML."""
        if not isinstance(view, AppealNews):
            return None
        message = Presenter().telegram_news(view, in_channel=recipient.mirror)
        return None if message is None else as_text(message)

    async def mirrors(self) -> list[Mirror]:
        return [Mirror(address="loft-of-the-network")]  # a mirror: it gets everything

    async def start(self) -> None:
        """Nothing to open."""

    async def close(self) -> None:
        """Nothing to close."""

    async def wait_turn(self, recipient: Recipient) -> Turn:
        return Turn()

    async def send(self, recipient: Recipient, message: Message) -> SendResult:
        self.carried.append((recipient, message))
        self.arrived.set()
        return SendResult(Outcome.SENT, external_id=f"ring-{len(self.carried)}")

    async def wait_for(self, count: int) -> list[tuple[Recipient, Message]]:
        async with asyncio.timeout(10):
            while len(self.carried) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.carried

    def to(self, address: str) -> list[Message]:
        return [message for recipient, message in self.carried if recipient.address == address]


async def test_a_channel_defined_here_gets_a_broadcast_an_update_and_a_reminder(
    seeded_url: str,
) -> None:
    pigeons = PigeonPost()
    clock = MovableClock()
    appeal_id, case_id = await add_appeal(
        seeded_url, court=date(2027, 3, 5), status=AppealStatus.DRAFT, title="Strike leader held"
    )
    async with sessions_for(seeded_url) as sessions, sessions.begin() as session:
        result = await session.execute(
            insert(Subscriber)
            .values(
                channel="pigeon",
                **sealed("pigeon", "loft-7"),
                state=SubscriberState.ACTIVE,
                language="en",
                urgent_only=False,
                digest=False,
                unsubscribe_token=new_token(),
                created_at=datetime.now(UTC),
                updated_at=datetime.now(UTC),
            )
            .returning(Subscriber.id)
        )
        reader = result.scalar_one()
        await session.execute(
            insert(subscriber_cases).values(subscriber_id=reader, case_id=case_id)
        )
    update_id, _ = await add_appeal(
        seeded_url, case_id=case_id, parent_id=appeal_id, status=AppealStatus.DRAFT
    )
    # The pigeons are the only channel of this service (no Telegram token, no SMTP relay).
    overrides = Overrides(channels=[pigeons], clock=clock)
    async with app_for(seeded_url, overrides=overrides, telegram_token=None) as app:
        assert app.delivery is not None
        await app.introduce()  # the pigeon's mirror becomes a subscriber of its own
        await app.delivery.start()
        try:
            await app.services.publishing.publish(appeal_id, actor=Actor("test"))
            await pigeons.wait_for(2)
            await app.services.publishing.publish(update_id, actor=Actor("test"))
            await pigeons.wait_for(4)
            clock.now = datetime(2027, 3, 4, 18, 0, tzinfo=ALMATY)  # the eve of the trial
            assert (await app.services.time.tick()).reminders == 1
            await pigeons.wait_for(5)
        finally:
            await app.delivery.stop()
    [appeal, update, reminder] = pigeons.to("loft-7")
    assert "Strike leader held" in appeal.text
    assert "<b>" not in appeal.text, "plain text, as its rendering asks"
    assert appeal.html is not None
    assert "Tomorrow" in reminder.text
    assert "Trial of a trade unionist" in update.text
    [first, second] = pigeons.to("loft-of-the-network")
    mirror_rows = [r for r, _m in pigeons.carried if r.address == "loft-of-the-network"]
    assert mirror_rows[0].reply_to is None
    assert mirror_rows[1].reply_to == "ring-1", "an update answers the first post of its thread"
    assert "Strike leader held" in first.text
    assert second.text != first.text
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        rows = (
            await session.execute(
                select(Delivery.purpose, Delivery.state).where(Delivery.subscriber_id == reader)
            )
        ).all()
    assert sorted(rows) == [
        (DeliveryPurpose.APPEAL, DeliveryState.SENT),
        (DeliveryPurpose.APPEAL, DeliveryState.SENT),
        (DeliveryPurpose.REMINDER, DeliveryState.SENT),
    ]


# Line breaks of every kind, a NUL, a 2,000-character word: in ASCII (a value the email
# package cannot encode away) and in other scripts.
INJECTION = "Trial\r\nBcc: evil@example.net\nX-Injected: yes\r\x00 "
HOSTILE_ASCII = INJECTION + "W" * 2_000
HOSTILE = INJECTION + "Ж" * 2_000 + " Айнур Курманов"
MAY_DAY = 3
ALLOWED_HEADERS = {
    "from", "to", "subject", "date", "message-id", "auto-submitted", "list-id",
    "list-unsubscribe", "list-unsubscribe-post", "mime-version", "content-type",
}  # fmt: skip


async def test_no_text_from_data_can_add_a_header_or_a_recipient_to_an_email(
    seeded_url: str,
) -> None:
    sink = Sink()
    await add_reader(seeded_url, "reader@example.org")
    async with sessions_for(seeded_url) as sessions, sessions.begin() as session:
        appeal = await get_appeal(session, MAY_DAY)
        assert appeal is not None
        appeal.title = "Almaty: " + HOSTILE_ASCII
        appeal.cases[0].name = "Ainur " + HOSTILE
        for link in appeal.targets:
            link.target.name = "Minister " + HOSTILE
    async with (
        smtp_server(sink) as port,
        app_for(seeded_url, **mail_settings(port, free_port())) as app,
    ):
        assert app.delivery is not None
        await app.delivery.start()
        try:
            await app.services.publishing.publish(MAY_DAY, actor=Actor("test"))
            await sink.wait_for(1)
            case = appeal.cases[0]
            await app.services.outcomes.record(
                case.id,
                OutcomeRequest(case_query=case.name, status=CaseStatus.RELEASED, text=HOSTILE),
                actor=Actor("test"),
                progress_chat_id=None,
            )
            await sink.wait_for(2)
        finally:
            await app.delivery.stop()
    assert sink.envelopes == [["reader@example.org"], ["reader@example.org"]]
    for raw in sink.raw:
        parsed = email.message_from_bytes(raw, policy=email.policy.strict)
        assert [part.defects for part in parsed.walk()] == [[] for _ in parsed.walk()]
        names = {name.lower() for name in parsed}
        assert names <= ALLOWED_HEADERS, names - ALLOWED_HEADERS
        assert parsed["To"] == "reader@example.org"
        assert "Bcc" not in parsed
        assert "X-Injected" not in parsed
        plain = parsed.get_body(("plain",))
        assert plain is not None
        assert "Айнур Курманов" in plain.get_content(), "the text in other scripts arrives whole"


async def test_a_digest_on_its_way_when_the_process_is_killed_goes_out_exactly_once(
    emulator: BotApiEmulator, seeded_url: str, tmp_path: Path
) -> None:
    reader = await add_reader(seeded_url, "digest@example.org")
    async with sessions_for(seeded_url) as sessions, sessions.begin() as session:
        subscriber = (
            await session.scalars(select(Subscriber).where(Subscriber.unsubscribe_token == reader))
        ).one()
        subscriber.digest = True
        subscriber.digest_hour = 0  # due since midnight UTC
    smtp_port, http_port = free_port(), free_port()
    settings = mail_settings(smtp_port, http_port)
    async with app_for(seeded_url, **settings) as app:
        await app.services.publishing.publish(MAY_DAY, actor=Actor("test"))
        assert (await app.services.time.tick()).digests == 1  # queued: one row, in the outbox
    env = service_env(
        emulator,
        seeded_url,
        APPEALBOT_SMTP_HOST="127.0.0.1",
        APPEALBOT_SMTP_PORT=str(smtp_port),
        APPEALBOT_SMTP_SECURITY="none",
        APPEALBOT_MAIL_FROM="appeals@example.org",
        APPEALBOT_DELIVERY_HEARTBEAT_SECONDS="0.5",
    )
    stuck = Sink(hold=asyncio.Event())  # takes the digest's DATA and never answers
    async with smtp_server(stuck, port=smtp_port):
        first = await start_run(emulator, tmp_path, env)
        await stuck.wait_started(1)
        first.kill()  # kill -9, the digest claimed and on its way
        await first.wait()
    assert stuck.messages == []
    sink = Sink()
    async with smtp_server(sink, port=smtp_port):
        second = await start_run(emulator, tmp_path, env)
        try:
            await sink.wait_for(1, timeout=30)
            await rows_in(seeded_url, {DeliveryState.SENT: 1}, purpose=DeliveryPurpose.DIGEST)
        finally:
            second.send_signal(signal.SIGTERM)
            await second.wait()
    [digest] = sink.messages
    assert digest["To"] == "digest@example.org"
    assert str(digest["Subject"]).startswith("Daily digest: 1 appeal")
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        held = await session.scalar(
            select(Delivery.state).where(
                Delivery.appeal_id == MAY_DAY, Delivery.subscriber_id == subscriber.id
            )
        )
    assert held is DeliveryState.SENT, "the appeal the digest carried is sent with it"


@TIMED
async def test_a_confirmation_goes_first_while_a_broadcast_fills_the_relays_rate(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    readers = [f"reader{n}@example.org" for n in range(400)]
    await add_readers(seeded_url, readers)
    sink = Sink()
    smtp_port, http_port = free_port(), free_port()
    web = f"http://127.0.0.1:{http_port}"
    async with (
        smtp_server(sink, port=smtp_port),
        running_bot(emulator, seeded_url, smtp_rate=40, **mail_settings(smtp_port, http_port)),
        aiohttp.ClientSession() as http,
    ):
        await publish_for_email(seeded_url, MAY_DAY)
        await sink.wait_for(40)
        loop = asyncio.get_running_loop()
        asked = loop.time()
        async with http.post(f"{web}/subscribe", data={"email": "new@example.org"}) as answer:
            assert answer.status == 200
        while not sink.to("new@example.org"):
            sink.arrived.clear()
            async with asyncio.timeout(10):
                await sink.arrived.wait()
        waited = loop.time() - asked
        during = len(sink.messages)
    assert waited < 3, f"the confirmation waited {waited:.1f} s behind the broadcast"
    assert during < len(readers), "the broadcast was still going"
