"""Admins in Telegram: draft from pasted text, review, edit, publish, update, outcome, withdraw."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import func, or_, select, update

from bot.extract.draft import DraftData, TargetData
from bot.services.actors import Actor
from bot.services.publishing import Published
from emulator import BotApiEmulator, Sent
from storage.enums import AppealKind, AppealStatus, CaseStatus, DeliveryPurpose, DeliveryState
from storage.models import Appeal, AuditEntry, Delivery, Draft
from storage.repo.cases import get_case_by_slug
from storage.seed_schema import SeedTarget
from storage.seeding import default_seed_dir, read_seed_file
from tests.support import drafts
from tests.support.app import app_for
from tests.support.bot import running_bot, sessions_for
from tests.support.delivery import add_subscribers, make_current, publish_appeal
from tests.support.pages import web_page

FIXTURES = Path(__file__).parent / "fixtures" / "appeals"
ADMIN, STRANGER = 4001, 4002


def fixture(slug: str) -> str:
    return (FIXTURES / f"{slug}.txt").read_text("utf-8")


@pytest.fixture
async def admin_bot(emulator: BotApiEmulator, seeded_url: str) -> AsyncIterator[BotApiEmulator]:
    async with running_bot(emulator, seeded_url, admin_ids=[ADMIN]):
        yield emulator


@pytest.fixture
async def link_bot(emulator: BotApiEmulator, seeded_url: str) -> AsyncIterator[BotApiEmulator]:
    """An admin's bot that may fetch pages from this machine's test servers."""
    async with running_bot(emulator, seeded_url, admin_ids=[ADMIN], fetch_allow_private=True):
        yield emulator


async def count(url: str, model: type) -> int:
    async with sessions_for(url) as sessions, sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def paste(bot: BotApiEmulator, text: str) -> tuple[Sent, Sent]:
    return await drafts.paste(bot, ADMIN, text)


async def publish(bot: BotApiEmulator, review: Sent, button: str = "📣 Publish") -> Sent:
    return await drafts.publish(bot, ADMIN, review, button)


async def test_a_pasted_appeal_becomes_a_reviewed_draft(admin_bot: BotApiEmulator) -> None:
    preview, review = await paste(admin_bot, fixture("2011-05-02-may-day-attack"))
    assert preview.text.startswith("⚠️ This appeal is from May 2011 and is archived.")
    assert "Act now" not in preview.text, "an archived appeal asks for nothing"
    assert "📣 New appeal\nKazakhstan: police attack socialists" in preview.text
    assert "1. An end to police harassment" in preview.text
    assert "paypal" not in preview.text.lower()
    text = review.text
    assert "Date: May 2011" in text
    assert "Cases: Ainur Kurmanov, May Day 2011 attack in Almaty, Vadim Kuramshin" in text
    assert "27 April 2011" in text
    assert "2 May 2011: May 2nd, Dmitry Tikhonov stands trial" in text
    assert "• An end to police harassment" in text
    assert "→ every office" in text
    solidarity = text.split("Solidarity (to no official):")[1].split("Letter facts")[0]
    assert "nationalisation" in solidarity.lower()
    assert "Kazakhstan 2012" in solidarity
    assert "Court · fax +7 727 271 5802 · tel +7 727 271 5807\n" in text
    assert "opens “" not in text, "the text gives no salutation, so the draft makes none up"
    assert "Press office of the KNB · press@knb.kz" in text
    assert "Press office of the Almaty Police · delta@police.kz" in text
    assert "tel +7 7172 74 55 24" in text
    assert "Copies (copies) · robert.cwi@gmail.com · ainur1917@gmail.com" in text
    assert "Embassy of Kazakhstan in your own country (embassy)" in text
    assert "The summary is the pasted text" in text
    assert "No facts for the letters yet" in text
    assert [b["text"] for b in review.buttons] == [
        "🔴 Publish as urgent",
        "📣 Publish",
        "✏️ Edit a field",
        "✖️ Cancel",
    ]


async def test_edit_a_field_then_cancel_writes_nothing(
    admin_bot: BotApiEmulator, seeded_url: str
) -> None:
    appeals = await count(seeded_url, Appeal)
    _, review = await paste(admin_bot, fixture("2007-04-20-kurmanov-shanyrak"))
    assert "No contacts found" in review.text
    admin_bot.tap(review, "Edit a field")
    await admin_bot.wait_for_edit(review)
    before = len(admin_bot.sent(ADMIN))
    admin_bot.tap(review, "Targets")
    [ask] = (await admin_bot.wait_for_messages(ADMIN, before + 1))[before:]
    assert ask.text.startswith("✏️ Targets")
    _, edited = await admin_bot.converse(
        ADMIN, "Procurator of Almaty\nEmail: almaty@prokuror.kz\nFax: ++7727 2715800", expect=2
    )
    assert "Procurator of Almaty · almaty@prokuror.kz · fax +7 727 271 5800" in edited.text
    assert "No contacts found" not in edited.text
    _, titled = await admin_bot.converse(ADMIN, "Edit", expect=2)
    assert "Send more text" in titled.text
    [done] = await admin_bot.converse(ADMIN, "/cancel")
    assert done.text == "Cancelled. Nothing was saved."
    assert await count(seeded_url, Appeal) == appeals
    assert await count(seeded_url, Draft) == 0
    [again] = await admin_bot.converse(ADMIN, "/cancel")
    assert again.text == "There is nothing to cancel."


async def test_publish_starts_the_broadcast(admin_bot: BotApiEmulator, seeded_url: str) -> None:
    chats = list(range(8_001, 8_011))
    async with sessions_for(seeded_url) as sessions:
        await add_subscribers(sessions, chats)
    _, review = await paste(admin_bot, fixture("2012-01-new-wave-of-arrests"))
    confirm = await publish(admin_bot, review, "Publish as urgent")
    await admin_bot.wait_until(lambda: all(admin_bot.sent(chat) for chat in chats), timeout=20)
    message = admin_bot.sent(chats[0])[0]
    # A January 2012 text: it goes out honest about its age, not as urgent.
    assert message.text.startswith("⚠️ This appeal is from January 2012 and is archived.")
    assert "No further action is requested" in message.text
    assert "📣 New appeal\nKazakhstan: a new wave of arrests" in message.text
    await admin_bot.wait_for_edit(confirm)
    assert confirm.buttons == []
    confirmation = await admin_bot.find(ADMIN, "✅ Published")
    assert "Queued for 10 subscribers" in confirmation.text
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        appeal = (await session.scalars(select(Appeal).order_by(Appeal.id.desc()).limit(1))).one()
        audit = (await session.scalars(select(AuditEntry.action))).all()
    assert (appeal.status, appeal.urgency.value, appeal.created_by) == (
        AppealStatus.PUBLISHED,
        "urgent",
        ADMIN,
    )
    assert "broadcast" in audit
    [contacts] = await admin_bot.converse(9_999, f"/contacts_{appeal.id}")
    assert "mid@mid.kz" in contacts.text


async def test_a_draft_survives_a_restart(emulator: BotApiEmulator, seeded_url: str) -> None:
    async with running_bot(emulator, seeded_url, admin_ids=[ADMIN]):
        _, review = await paste(emulator, fixture("2010-03-taraz-arrests"))
    emulator.world.counters.calls.clear()
    async with running_bot(emulator, seeded_url, admin_ids=[ADMIN]):
        await publish(emulator, review)
        await emulator.find(ADMIN, "✅ Published")
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        appeal = (await session.scalars(select(Appeal).order_by(Appeal.id.desc()).limit(1))).one()
    assert appeal.title.startswith("Solidarity call – Kazakhstan")
    assert appeal.urgency.value == "normal"


async def test_update_outcome_and_thanks(admin_bot: BotApiEmulator, seeded_url: str) -> None:
    subscribers = [8_101, 8_102]
    async with sessions_for(seeded_url) as sessions:
        await add_subscribers(sessions, subscribers)
    await make_current(seeded_url, 5)
    # A subscriber who protests is offered to follow the case, and does.
    [summary] = await admin_bot.converse(8_101, "/case Kuramshin")
    await admin_bot.wait_for_answer(admin_bot.tap(summary, "I sent a protest"))
    [offer] = (await admin_bot.wait_for_messages(8_101, 2))[1:]
    assert offer.text.startswith("🔔 To hear how it ends for Vadim Kuramshin")
    await admin_bot.wait_for_answer(admin_bot.tap(offer, "Follow Vadim Kuramshin"))
    # Someone who is not subscribed is told how to hear the news: nobody keeps a list.
    [other] = await admin_bot.converse(7_002, "/case Kuramshin")
    await admin_bot.wait_for_answer(admin_bot.tap(other, "I sent a protest", user_id=7_002))
    [told] = (await admin_bot.wait_for_messages(7_002, 2))[1:]
    assert "/subscribe, then follow the case" in told.text
    assert told.buttons == []

    [ask] = await admin_bot.converse(ADMIN, "/update Karamshin")
    assert ask.text.startswith("📝 Update on Vadim Kuramshin")
    _, review = await admin_bot.converse(
        ADMIN,
        "Vadim Kuramshin moved to another prison\n\nOn 3 February he was moved far from his "
        "family. Please write to the prison service: Email: prisons@example.kz",
        expect=2,
    )
    assert review.text.startswith("📝 Update: check it")
    assert "Date: unknown" in review.text
    assert review.buttons[0]["text"] == "📅 It is from today"
    before = len(admin_bot.sent(ADMIN))
    await admin_bot.wait_for_answer(admin_bot.tap(review, "It is from today"))
    _, review = (await admin_bot.wait_for_messages(ADMIN, before + 2))[before:]
    assert "year unknown" not in review.text
    await publish(admin_bot, review)
    await admin_bot.wait_until(lambda: bool(admin_bot.sent(8_102)), timeout=20)
    assert admin_bot.sent(8_102)[0].text.startswith("🔄 UPDATE")

    await admin_bot.find(ADMIN, "✅ Published")
    admin_bot.send_text(ADMIN, "/outcome Kuramshin released He was freed on 20 February.")
    done = await admin_bot.find(ADMIN, "✅ Outcome recorded")
    assert done.text.startswith("✅ Outcome recorded: Vadim Kuramshin – released")
    assert "with thanks to all who wrote" in done.text
    await admin_bot.wait_until(lambda: len(admin_bot.sent(8_102)) >= 2, timeout=20)
    outcome = admin_bot.sent(8_102)[1]
    assert outcome.text.startswith("✅ OUTCOME")
    assert "Thank you to everyone who wrote" in outcome.text
    await admin_bot.wait_until(
        lambda: any(m.text.startswith("✅ OUTCOME") for m in admin_bot.sent(8_101)), timeout=20
    )
    assert len(admin_bot.sent(7_002)) == 2, "nothing goes to a protester by a stored list"
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        case = await get_case_by_slug(session, "vadim-kuramshin")
        kinds = (await session.scalars(select(Appeal.kind).order_by(Appeal.id))).all()
        direct = await session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(
                Delivery.address_sealed.is_not(None), Delivery.purpose != DeliveryPurpose.PROGRESS
            )
        )
    assert case is not None
    assert (case.status, case.outcome) == (CaseStatus.RELEASED, "He was freed on 20 February.")
    assert kinds[-2:] == [AppealKind.UPDATE, AppealKind.OUTCOME]
    assert direct == 0
    [closed] = await admin_bot.converse(7_003, "/case Kuramshin")
    assert "Status: released" in closed.text
    assert "Outcome: He was freed on 20 February." in closed.text


async def test_withdraw_cancels_what_has_not_gone_out(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    chats = list(range(8_201, 8_261))
    async with sessions_for(seeded_url) as sessions:
        await add_subscribers(sessions, chats)
    async with running_bot(emulator, seeded_url, admin_ids=[ADMIN], telegram_rate=5):
        _, review = await paste(emulator, fixture("2011-05-20-socialist-action-statement"))
        await publish(emulator, review, "Publish as urgent")
        await emulator.wait_until(lambda: emulator.stats["delivered"] >= 5, timeout=20)
        async with sessions_for(seeded_url) as sessions, sessions() as session:
            appeal_id = await session.scalar(select(func.max(Appeal.id)))
        assert appeal_id is not None
        emulator.send_text(ADMIN, f"/withdraw {appeal_id}")
        done = await emulator.find(ADMIN, "🗑 Withdrawn")
        assert done.text.startswith("🗑 Withdrawn: Stop the police repression")
        sent_then = sum(len(emulator.sent(chat)) for chat in chats)
        # Every row recorded as sent or cancelled, none claimed: nothing more can go out.
        await settled(seeded_url, appeal_id)
        [shown] = await emulator.converse(9_998, f"/appeal_{appeal_id}")
        assert "withdrawn" in shown.text
    sent_later = sum(len(emulator.sent(chat)) for chat in chats)
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        states = dict(
            (
                await session.execute(
                    select(Delivery.state, func.count())
                    .where(Delivery.appeal_id == appeal_id)
                    .group_by(Delivery.state)
                )
            ).all()
        )
        status = await session.scalar(select(Appeal.status).where(Appeal.id == appeal_id))
    assert status is AppealStatus.WITHDRAWN
    assert states.get(DeliveryState.SKIPPED, 0) > 30
    assert states.get(DeliveryState.PENDING, 0) == 0
    assert sent_later <= sent_then + 2  # only what was already on the wire
    assert sent_later == states.get(DeliveryState.SENT, 0)


async def settled(url: str, appeal_id: int, *, timeout: float = 20.0) -> None:
    """Wait until no delivery of the appeal is pending or claimed."""
    async with sessions_for(url) as sessions, asyncio.timeout(timeout):
        while True:
            async with sessions() as session:
                open_rows = await session.scalar(
                    select(func.count()).where(
                        Delivery.appeal_id == appeal_id,
                        or_(
                            Delivery.state.in_((DeliveryState.PENDING, DeliveryState.SENDING)),
                            Delivery.claimed_by.is_not(None),
                        ),
                    )
                )
            if not open_rows:
                return
            await asyncio.sleep(0.05)


async def test_bad_input_gets_a_clear_answer(admin_bot: BotApiEmulator, seeded_url: str) -> None:
    await admin_bot.converse(ADMIN, "/newappeal")
    [noise] = await admin_bot.converse(ADMIN, "%$#@! 1234 ???? ----")
    assert "could not find an appeal" in noise.text
    [huge] = await admin_bot.converse(ADMIN, "blah " * 10_000)
    assert "50,000 characters long" in huge.text
    preview, review = await admin_bot.converse(
        ADMIN,
        "<b>Free</b> the <script>alert(1)</script> strikers & co\n\n"
        "On 16 December police fired at striking oil workers in Zhanaozen <i>again</i>.",
        expect=2,
    )
    assert "<script>alert(1)</script>" in preview.text
    assert "<b>Free</b>" in preview.text
    assert "No contacts found" in review.text
    assert admin_bot.stats["bad_requests"] == 0
    assert await count(seeded_url, Appeal) == 5
    [usage] = await admin_bot.converse(ADMIN, "/outcome Kuramshin")
    assert "Statuses: released" in usage.text
    [unknown] = await admin_bot.converse(ADMIN, "/withdraw nothing-like-this")
    assert "There is no appeal" in unknown.text


async def test_a_link_is_fetched_and_read(link_bot: BotApiEmulator) -> None:
    page = (
        "<html><head><title>Kazakhstan: strikers on trial</title></head><body>"
        "<nav><a href='/'>Home</a> | <a href='/news'>News</a></nav>"
        "<article><h1>Kazakhstan: strikers on trial</h1>"
        "<p>On 27 March the trial of twelve striking oil workers opens in Aktau. They face up "
        "to ten years for taking part in mass disorder after police shot at their rally.</p>"
        "<p>Please send protests to the Procurator General of Kazakhstan, Email: "
        "gp@prokuror.example.kz, Fax: ++7 7172 71 28 16</p></article>"
        "<div id='comments'><h3>Leave a Reply</h3>Your email address will not be published."
        "</div><footer>Donate via Paypal</footer></body></html>"
    )

    async def serve(_request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html")

    async with web_page(serve) as url:
        await link_bot.converse(ADMIN, "/newappeal")
        preview, review = await link_bot.converse(ADMIN, url, expect=2, timeout=10)
    assert "Kazakhstan: strikers on trial" in preview.text
    assert "Home" not in preview.text
    assert "Leave a Reply" not in preview.text
    assert "gp@prokuror.example.kz · fax +7 7172 71 28 16" in review.text
    assert f"Source: {url}" in review.text


SLUGS = sorted(path.stem for path in FIXTURES.glob("*.txt"))


@pytest.mark.parametrize("slug", SLUGS)
async def test_each_source_appeal_drafts_as_the_seed_records_it(
    admin_bot: BotApiEmulator, seeded_url: str, slug: str
) -> None:
    seed = read_seed_file(default_seed_dir() / f"{slug}.yaml")
    _, review = await paste(admin_bot, fixture(slug))
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        draft = (await session.scalars(select(Draft))).one()
    data = DraftData.model_validate(draft.data)

    def gathered(targets: Sequence[TargetData | SeedTarget], attribute: str) -> set[str]:
        values: set[str] = set()
        for target in targets:
            value = getattr(target, attribute)
            values |= set(value) if isinstance(value, list) else ({value} if value else set())
        return values

    for attribute in ("emails", "phones", "faxes", "postal_address"):
        assert gathered(data.targets, attribute) == gathered(seed.targets, attribute), attribute
    if data.events or seed.appeal.inferred is None:
        assert [event.on for event in data.events] == sorted(
            {event.on_date for event in seed.appeal.events}
        )
    else:
        # The seed dates its events from the day the appeal was published; the text only
        # says "today" and carries no date of its own.
        assert "Date: unknown" in review.text
    recorded_cases = {case.name for case in seed.cases}
    assert {case.name for case in data.cases} == recorded_cases
    if any(target.emails or target.faxes or target.phones for target in seed.targets):
        assert "No contacts found" not in review.text
    for email in gathered(seed.targets, "emails"):
        assert email in review.text


async def test_a_slow_page_does_not_hold_up_other_people(link_bot: BotApiEmulator) -> None:
    """The page is held until someone else has their answer: only works side by side."""
    requested, release = asyncio.Event(), asyncio.Event()

    async def held(_request: web.Request) -> web.Response:
        requested.set()
        await release.wait()
        return web.Response(text="<html><body><p>late</p></body></html>", content_type="text/html")

    async with web_page(held) as url:
        await link_bot.converse(ADMIN, "/newappeal")
        link_bot.send_text(ADMIN, url)
        await asyncio.wait_for(requested.wait(), timeout=10)
        [answer] = await link_bot.converse(7_777, "/case Kurmanov")
        release.set()
        assert answer.text.startswith("Ainur Kurmanov")
        said = await link_bot.wait_for_messages(ADMIN, 2, timeout=10)
        assert said[-1].text.startswith("⚠️ I could not find an appeal")


async def failed_broadcast(seeded_url: str, chats: list[int]) -> Published:
    """Publish appeal 3 to these chats, every delivery failed for good before the service
    (re)starts."""
    async with sessions_for(seeded_url) as sessions:
        await add_subscribers(sessions, chats)
        published = await publish_appeal(seeded_url, 3, progress_chat_id=ADMIN)
        async with sessions.begin() as session:
            await session.execute(
                update(Delivery)
                .where(Delivery.appeal_id == 3, Delivery.subscriber_id.is_not(None))
                .values(state=DeliveryState.FAILED, attempts=8, last_error="Bad Gateway")
            )
    return published


async def test_a_finished_broadcast_offers_to_retry_what_failed(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    chats = list(range(8_301, 8_311))
    published = await failed_broadcast(seeded_url, chats)
    assert published.queued == 10
    async with running_bot(emulator, seeded_url, admin_ids=[ADMIN]):
        await retry_what_failed(emulator, chats)


async def retry_what_failed(admin_bot: BotApiEmulator, chats: list[int]) -> None:
    summary = await admin_bot.find(ADMIN, "✅ Broadcast finished")
    assert "Sent 0 of 10 · failed 10" in summary.text
    [button] = summary.buttons
    assert button["text"] == "🔁 Retry 10 failed"
    query = admin_bot.tap(summary, "Retry", user_id=STRANGER)
    assert (await admin_bot.wait_for_answer(query))["text"] == "This is for admins."
    answer = await admin_bot.wait_for_answer(admin_bot.tap(summary, "Retry"))
    assert answer["text"] == "10 queued again."
    await admin_bot.wait_until(lambda: all(admin_bot.sent(chat) for chat in chats), timeout=30)
    try:
        await admin_bot.wait_until(lambda: "Sent 10 of 10 · failed 0" in summary.text, timeout=15)
    except TimeoutError:
        raise AssertionError(f"the summary stayed {[*summary.history, summary.text]}") from None
    assert summary.buttons == []
    assert all(len(admin_bot.sent(chat)) == 1 for chat in chats)


async def test_a_retry_between_the_summary_and_its_closing_keeps_the_broadcast_open(
    seeded_url: str,
) -> None:
    chats = list(range(8_321, 8_324))
    published = await failed_broadcast(seeded_url, chats)
    async with app_for(seeded_url) as app:
        # The reporter has shown "finished, 3 failed"; the admin taps Retry before it closes.
        assert await app.services.publishing.retry_failed(3, actor=Actor("test")) == 3
        assert not await app.services.broadcasts.finished(published.broadcast_id)
        assert [b.id for b in await app.services.broadcasts.running()] == [published.broadcast_id]
