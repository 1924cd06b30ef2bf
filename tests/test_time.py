"""Time: reminders, deadlines, digests, follow-ups and sweeps, under a clock the test moves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import Overrides
from bot.services.actors import CLI
from emulator import BotApiEmulator
from storage.enums import AppealStatus, DeliveryPurpose, DeliveryState
from storage.items import Reminder, load
from storage.models import AuditEntry, Delivery
from storage.records import appeal_record
from storage.repo.appeals import get_appeal
from storage.standing import Standing
from tests.support.app import app_for
from tests.support.bot import running_bot, sessions_for
from tests.support.mail import mail_settings
from tests.support.smtp import Sink, free_port, smtp_server
from tests.support.timeline import (
    MovableClock,
    add_appeal,
    add_follower,
    deliveries_of,
    deliveries_of_chat,
    notices,
)

ALMATY = ZoneInfo("Asia/Almaty")
BERLIN = ZoneInfo("Europe/Berlin")


def local(zone: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """Return the UTC moment a wall clock in ``zone`` shows."""
    return datetime(year, month, day, hour, minute, tzinfo=zone).astimezone(UTC)


async def reminder_text(
    url: str, app_presenter: object, appeal_id: int, row: dict[str, Any]
) -> str:
    from bot.presentation.render import Presenter

    assert isinstance(app_presenter, Presenter)
    async with sessions_for(url) as sessions, sessions() as session:
        found = await get_appeal(session, appeal_id)
        assert found is not None
        appeal = appeal_record(found)
        item = load(DeliveryPurpose.REMINDER, appeal_id, row["notice"], row["late"])
        assert isinstance(item, Reminder)
        news = app_presenter.news(appeal, item)
        assert news is not None
        message = app_presenter.telegram_news(news)
    assert message is not None
    return message.text


async def test_court_reminders_fire_once_the_evening_before_and_the_morning_of_in_the_case_zone(
    seeded_url: str,
) -> None:
    clock = MovableClock()
    appeal_id, case_id = await add_appeal(seeded_url, court=date(2027, 3, 5))
    follower = await add_follower(seeded_url, [case_id], chat_id=7001)
    await add_follower(seeded_url, [], chat_id=7002)  # follows nothing: no reminder
    async with app_for(seeded_url, overrides=Overrides(clock=clock)) as app:
        tick = app.services.time.tick
        clock.now = local(ALMATY, 2027, 3, 4, 17, 59)
        assert (await tick()).reminders == 0
        clock.now = local(ALMATY, 2027, 3, 4, 18, 0)
        assert (await tick()).reminders == 1
        clock.advance(minutes=1)
        assert (await tick()).reminders == 0, "once, not at every tick"
        clock.now = local(ALMATY, 2027, 3, 5, 7, 59)
        assert (await tick()).reminders == 0
        clock.now = local(ALMATY, 2027, 3, 5, 8, 0)
        assert (await tick()).reminders == 1
        clock.now = local(ALMATY, 2027, 3, 5, 12, 0)
        assert (await tick()).reminders == 0
        rows = await notices(seeded_url, DeliveryPurpose.REMINDER)
        assert [(r["subscriber"], r["notice"].split(":")[1], r["late"]) for r in rows] == [
            (follower, "eve", False),
            (follower, "day", False),
        ]
        eve = await reminder_text(seeded_url, app.presenter, appeal_id, rows[0])
        day = await reminder_text(seeded_url, app.presenter, appeal_id, rows[1])
    assert eve.startswith("⏰ <b>Tomorrow, 5 March 2027: the trial of Aigul Timed")
    assert day.startswith("⏰ <b>Today, 5 March 2027: the trial of Aigul Timed")
    assert "late" not in eve
    assert f"/letter_{appeal_id}" in day


async def test_a_restart_mid_day_neither_loses_nor_repeats_and_a_late_reminder_says_so(
    seeded_url: str,
) -> None:
    clock = MovableClock()
    appeal_id, case_id = await add_appeal(seeded_url, court=date(2027, 3, 5))
    passed_id, passed_case = await add_appeal(seeded_url, court=date(2027, 3, 4))
    follower = await add_follower(seeded_url, [case_id, passed_case], chat_id=7011)
    async with app_for(seeded_url, overrides=Overrides(clock=clock)) as app:
        clock.now = local(ALMATY, 2027, 3, 4, 17, 30)  # the other trial's day, court has risen
        assert (await app.services.time.tick()).reminders == 0, "too late to be of use"
        clock.now = local(ALMATY, 2027, 3, 4, 18, 0)
        assert (await app.services.time.tick()).reminders == 1
    # Restarted in the evening: nothing again.
    async with app_for(seeded_url, overrides=Overrides(clock=clock)) as app:
        clock.now = local(ALMATY, 2027, 3, 4, 18, 30)
        assert (await app.services.time.tick()).reminders == 0
    # Down from before 08:00 until 11:00 on the day of the trial: sent late, and says so.
    async with app_for(seeded_url, overrides=Overrides(clock=clock)) as app:
        clock.now = local(ALMATY, 2027, 3, 5, 11, 0)
        assert (await app.services.time.tick()).reminders == 1
        clock.advance(minutes=5)
        assert (await app.services.time.tick()).reminders == 0
        rows = await notices(seeded_url, DeliveryPurpose.REMINDER)
        late = await reminder_text(seeded_url, app.presenter, appeal_id, rows[-1])
    assert [(r["appeal"], r["notice"].split(":")[1], r["late"]) for r in rows] == [
        (appeal_id, "eve", False),
        (appeal_id, "day", True),
    ]
    assert all(r["subscriber"] == follower for r in rows)
    assert passed_id not in {r["appeal"] for r in rows}
    assert "This reminder is late" in late
    # Down until the court has risen: no reminder at all, it would be of no use.
    later_id, later_case = await add_appeal(seeded_url, court=date(2027, 3, 8))
    await add_follower(seeded_url, [later_case], chat_id=7012)
    async with app_for(seeded_url, overrides=Overrides(clock=clock)) as app:
        clock.now = local(ALMATY, 2027, 3, 8, 17, 0)
        assert (await app.services.time.tick()).reminders == 0
    assert later_id not in {
        r["appeal"] for r in await notices(seeded_url, DeliveryPurpose.REMINDER)
    }


async def test_reminders_keep_the_readers_hours_across_a_daylight_saving_change(
    seeded_url: str,
) -> None:
    # Berlin moves its clocks forward at 02:00 on 28 March 2027; the trial is on the 29th.
    clock = MovableClock()
    _, case_id = await add_appeal(seeded_url, court=date(2027, 3, 29))
    reader = await add_follower(seeded_url, [case_id], chat_id=7021, timezone="Europe/Berlin")
    async with app_for(seeded_url, overrides=Overrides(clock=clock)) as app:
        tick = app.services.time.tick
        clock.set(2027, 3, 28, 15, 59)  # 17:59 in Berlin (summer time, UTC+2)
        assert (await tick()).reminders == 0
        clock.set(2027, 3, 28, 16, 0)  # 18:00 in Berlin; in winter time this would be 17:00
        assert (await tick()).reminders == 1
        clock.set(2027, 3, 29, 5, 59)
        assert (await tick()).reminders == 0
        clock.set(2027, 3, 29, 6, 0)  # 08:00 in Berlin
        assert (await tick()).reminders == 1
    assert local(BERLIN, 2027, 3, 28, 18, 0) == datetime(2027, 3, 28, 16, 0, tzinfo=UTC)
    rows = await notices(seeded_url, DeliveryPurpose.REMINDER)
    assert [(r["subscriber"], r["late"]) for r in rows] == [(reader, False), (reader, False)]


async def test_an_admin_switches_reminders_off_for_one_appeal(seeded_url: str) -> None:
    clock = MovableClock()
    quiet_id, quiet_case = await add_appeal(seeded_url, court=date(2027, 3, 5))
    loud_id, loud_case = await add_appeal(seeded_url, court=date(2027, 3, 5))
    await add_follower(seeded_url, [quiet_case, loud_case], chat_id=7031)
    async with app_for(seeded_url, overrides=Overrides(clock=clock)) as app:
        assert await app.services.appeals.set_reminders(quiet_id, on=False, actor=CLI) is False
        clock.now = local(ALMATY, 2027, 3, 4, 18, 0)
        assert (await app.services.time.tick()).reminders == 1
    rows = await notices(seeded_url, DeliveryPurpose.REMINDER)
    assert {r["appeal"] for r in rows} == {loud_id}
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "reminders off"))
    assert entry is not None
    assert entry.subject == f"appeal:{quiet_id}"


async def test_the_deadline_nudge_comes_48_hours_before_and_skips_those_who_acted(
    seeded_url: str,
) -> None:
    clock = MovableClock()
    appeal_id, case_id = await add_appeal(seeded_url, deadline=date(2027, 3, 10))
    acted = await add_follower(seeded_url, [case_id], chat_id=7041)
    waiting = await add_follower(seeded_url, [case_id], chat_id=7042)
    by_mail = await add_follower(seeded_url, [case_id], email="follower@example.org")
    ends = local(ALMATY, 2027, 3, 11, 0, 0)  # "act by 10 March" holds until midnight there
    # Email is set up (nothing is sent here: the rows are what the test reads).
    mail = mail_settings(free_port(), free_port())
    async with app_for(seeded_url, overrides=Overrides(clock=clock), **mail) as app:
        # The tap is stored as a keyed hash only; the nudge still knows to skip that chat.
        tapped = await app.services.appeals.protest(appeal_id, user_id=7041, case_id=None)
        assert tapped.counted
        clock.now = ends - timedelta(hours=48, minutes=1)
        assert (await app.services.time.tick()).nudges == 0
        clock.now = ends - timedelta(hours=48)
        assert (await app.services.time.tick()).nudges == 2
        clock.advance(hours=3)
        assert (await app.services.time.tick()).nudges == 0
    rows = await notices(seeded_url, DeliveryPurpose.NUDGE)
    assert sorted(r["subscriber"] for r in rows) == sorted([waiting, by_mail])
    assert acted not in {r["subscriber"] for r in rows}


async def test_the_deadline_flips_at_midnight_where_the_case_is_and_stops_pushing(
    seeded_url: str,
) -> None:
    clock = MovableClock()
    appeal_id, case_id = await add_appeal(seeded_url, deadline=date(2027, 3, 10))
    reader = await add_follower(seeded_url, [case_id], chat_id=7051)
    async with sessions_for(seeded_url) as sessions, sessions.begin() as session:
        session.add(Delivery(appeal_id=appeal_id, subscriber_id=reader, channel="telegram"))
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        row = await get_appeal(session, appeal_id)
        assert row is not None
        appeal = appeal_record(row)
    async with app_for(seeded_url, overrides=Overrides(clock=clock)) as app:
        clock.now = local(ALMATY, 2027, 3, 10, 23, 59)
        before = app.presenter.ages.of(appeal)
        first = await app.services.time.tick()
        clock.now = local(ALMATY, 2027, 3, 11, 0, 0)
        after = app.presenter.ages.of(appeal)
        second = await app.services.time.tick()
    assert (first.stopped, first.nudges) == (0, 1), "a minute before: still pushed, nudged"
    assert second.stopped == 2, "at midnight there: the appeal and the nudge stop"
    [nudge] = await notices(seeded_url, DeliveryPurpose.NUDGE)
    assert nudge["state"] == DeliveryState.SKIPPED
    assert before.standing is Standing.OPEN
    assert before.days_left == 0
    assert after.standing is Standing.PAST_DEADLINE
    assert await deliveries_of(seeded_url, appeal_id) == {reader: DeliveryState.SKIPPED}
    # An admin who sends it again after its deadline means it: that is not stopped.
    late_reader = await add_follower(seeded_url, [], chat_id=7052)
    async with sessions_for(seeded_url) as sessions, sessions.begin() as session:
        session.add(
            Delivery(
                appeal_id=appeal_id,
                subscriber_id=late_reader,
                channel="telegram",
                created_at=clock.advance(hours=1),
            )
        )
    async with app_for(seeded_url, overrides=Overrides(clock=clock)) as app:
        assert (await app.services.time.tick()).stopped == 0
    assert (await deliveries_of(seeded_url, appeal_id))[late_reader] is DeliveryState.PENDING


async def test_the_digest_collects_exactly_what_is_new_and_sends_nothing_on_an_empty_day(
    seeded_url: str,
) -> None:
    clock = MovableClock()
    sink = Sink()
    first, _ = await add_appeal(seeded_url, status=AppealStatus.DRAFT, title="Strike leader held")
    second, _ = await add_appeal(seeded_url, status=AppealStatus.DRAFT, title="Editor beaten")
    third, _ = await add_appeal(seeded_url, status=AppealStatus.DRAFT, title="Lawyer disbarred")
    reader = await add_follower(
        seeded_url, [], email="digest@example.org", digest=True, timezone="Europe/Berlin"
    )
    now_reader = await add_follower(seeded_url, [], email="now@example.org")
    async with (
        smtp_server(sink) as port,
        app_for(
            seeded_url, overrides=Overrides(clock=clock), **mail_settings(port, free_port())
        ) as app,
    ):
        tick = app.services.time.tick
        for appeal_id in (first, second):
            await app.services.publishing.publish(appeal_id, actor=CLI)
        assert await deliveries_of(seeded_url, first) == {
            reader: DeliveryState.HELD,
            now_reader: DeliveryState.PENDING,
        }
        assert app.delivery is not None
        await app.delivery.start()  # digests go out through the outbox, as everything does
        clock.now = local(BERLIN, 2027, 3, 2, 7, 59)
        assert (await tick()).digests == 0
        clock.now = local(BERLIN, 2027, 3, 2, 8, 0)
        assert (await tick()).digests == 1
        clock.advance(hours=1)
        assert (await tick()).digests == 0
        clock.now = local(BERLIN, 2027, 3, 3, 8, 0)
        assert (await tick()).digests == 0, "nothing new: no email"
        await app.services.publishing.publish(third, actor=CLI)
        clock.now = local(BERLIN, 2027, 3, 4, 8, 5)
        assert (await tick()).digests == 1
        await sink.wait_for(5)  # two digests, and three appeals to the immediate reader
        await app.delivery.stop()
    [one, two] = [message for message in sink.messages if message["To"] == "digest@example.org"]
    assert len(sink.to("now@example.org")) == 3
    text_one = one.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    text_two = two.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Strike leader held" in text_one
    assert "Editor beaten" in text_one
    assert "Lawyer disbarred" not in text_one
    assert "Lawyer disbarred" in text_two
    assert "Strike leader held" not in text_two, "never the same appeal twice"
    assert "since 2 March 2027" in text_two
    assert one["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (await deliveries_of(seeded_url, third))[reader] is DeliveryState.SENT


async def test_an_update_reaches_everyone_who_received_the_original_whatever_their_filters(
    seeded_url: str,
) -> None:
    original, case_id = await add_appeal(seeded_url)
    got_it = await add_follower(seeded_url, [], chat_id=7061, countries=("RU",))
    never_had_it = await add_follower(seeded_url, [], chat_id=7062, countries=("RU",))
    async with sessions_for(seeded_url) as sessions, sessions.begin() as session:
        session.add(
            Delivery(
                appeal_id=original,
                subscriber_id=got_it,
                channel="telegram",
                state=DeliveryState.SENT,
            )
        )
    update, _ = await add_appeal(
        seeded_url, case_id=case_id, parent_id=original, status=AppealStatus.DRAFT
    )
    async with app_for(seeded_url) as app:
        await app.services.publishing.publish(update, actor=CLI)
    queued = await deliveries_of(seeded_url, update)
    assert queued.get(got_it) is DeliveryState.PENDING
    assert never_had_it not in queued, "filters still hold for those who never had it"


async def test_sweeps_delete_old_finished_rows_and_touch_nothing_else(seeded_url: str) -> None:
    clock = MovableClock()
    clock.set(2027, 3, 1, 12, 0)
    appeal_id, _ = await add_appeal(seeded_url)
    reader = await add_follower(seeded_url, [], chat_id=7071)
    other = await add_follower(seeded_url, [], chat_id=7072)
    third = await add_follower(seeded_url, [], chat_id=7073)
    old = clock.now - timedelta(days=400)
    recent = clock.now - timedelta(days=10)
    async with sessions_for(seeded_url) as sessions, sessions.begin() as session:
        for subscriber, state, at in (
            (reader, DeliveryState.SENT, old),
            (other, DeliveryState.SENT, recent),
            (third, DeliveryState.PENDING, old),
        ):
            session.add(
                Delivery(
                    appeal_id=appeal_id,
                    subscriber_id=subscriber,
                    channel="telegram",
                    state=state,
                    created_at=at,
                    sent_at=at if state is DeliveryState.SENT else None,
                    next_attempt_at=at,
                )
            )
        for at in (old, recent):
            session.add(AuditEntry(at=at, actor="cli", action="broadcast", detail={"queued": 3}))
    async with app_for(seeded_url, overrides=Overrides(clock=clock)) as app:
        swept = await app.services.time.sweep()
        again = await app.services.time.sweep()
    assert swept.deliveries == 1
    assert again.deliveries == 0
    assert await deliveries_of(seeded_url, appeal_id) == {
        other: DeliveryState.SENT,
        third: DeliveryState.PENDING,
    }
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        entries = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "broadcast").order_by(AuditEntry.at)
            )
        ).all()
    details = [(entry.at < clock.now - timedelta(days=365), entry.detail) for entry in entries]
    assert (True, {}) in details
    assert (False, {"queued": 3}) in details


async def test_a_new_subscriber_is_offered_the_appeals_still_open_and_sets_a_zone(
    bot: BotApiEmulator, seeded_url: str
) -> None:
    chat = 8001
    appeal_id, _ = await add_appeal(
        seeded_url, issued_on=datetime.now(UTC).date(), title="Miners on strike"
    )
    settings, offer = await bot.converse(chat, "/subscribe", expect=2)
    assert settings.text.startswith("✅ Subscribed.")
    assert offer.text.startswith("📬 1 appeal is open now")
    answer = await bot.wait_for_answer(bot.tap(offer, "Send them"))
    assert answer["text"] == "Sending 1."
    messages = await bot.wait_for_messages(chat, 3, timeout=10)
    assert "Miners on strike" in messages[-1].text
    again = await bot.wait_for_answer(bot.tap(offer, "Send them"))
    assert again["text"] == "You have them all already."
    [_, resubscribed] = [*await bot.converse(chat, "/subscribe"), None][:2]
    assert resubscribed is None, "no offer to a chat that was subscribed already"
    [zone] = await bot.converse(chat, "/timezone Europe/Berlin")
    assert "08:00 on the day, Europe/Berlin time" in zone.text
    [bad] = await bot.converse(chat, "/timezone Mars/Olympus")
    assert "is not a time zone I know" in bad.text
    [shown] = await bot.converse(chat, "/settings")
    assert "08:00 on the day, Europe/Berlin time" in shown.text
    assert shown.button("✅ Berlin")
    await bot.wait_for_answer(bot.tap(shown, "Almaty"))
    await bot.wait_for_edit(shown, 1)
    assert "08:00 on the day, Asia/Almaty time" in shown.text
    assert shown.button("✅ Almaty")
    assert len(bot.sent(chat)) == 7
    assert appeal_id in await deliveries_of_chat(seeded_url, chat)


async def test_an_admin_turns_reminders_off_by_command(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    admin = 99
    appeal_id, _ = await add_appeal(seeded_url, court=date(2027, 3, 5))
    async with running_bot(emulator, seeded_url, admin_ids=[admin]):
        [done] = await emulator.converse(admin, f"/reminders {appeal_id} off")
        [usage] = await emulator.converse(admin, "/reminders soon")
        [refused] = await emulator.converse(4242, f"/reminders {appeal_id} on")
    assert done.text == f"Followers of appeal {appeal_id} will not be reminded of its court dates."
    assert usage.text.startswith("/reminders &lt;appeal&gt; on|off") or "on|off" in usage.text
    assert "admin" in refused.text.lower()
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        appeal = await get_appeal(session, appeal_id)
    assert appeal is not None
    assert appeal.reminders is False
