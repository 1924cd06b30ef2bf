"""/appeals, one appeal, /contacts, /letter and "I sent a protest", as a reader sees them."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from core.timing import system_clock
from emulator import BotApiEmulator
from storage.enums import AppealStatus, Urgency
from storage.models import Protest
from storage.repo.appeals import NewAppeal, create_appeal
from storage.repo.cases import get_case_by_slug
from tests.support.bot import running_bot, sessions_for
from tests.support.delivery import make_current
from tests.support.offline import OfflineChats
from tests.test_content import letters_in

CHAT = 5151


async def test_appeals_newest_first_each_marked_archived(offline: OfflineChats) -> None:
    [listing] = await offline.converse(CHAT, "/appeals")
    lines = listing.text.splitlines()
    assert lines[0] == "Latest appeals (1–5 of 5), open ones first"
    titles = [line for line in lines if line[:2] in {"1.", "2.", "3.", "4.", "5."}]
    assert titles[0].startswith("1. Kazakhstan: new wave of arrests")
    assert titles[1].startswith("2. Socialist Action (US)")
    assert titles[-1].startswith("5. Almaty: procurator demands 15 days")
    assert "2 May 2011 · Ainur Kurmanov, Dmitry Tikhonov" in listing.text
    assert "URGENT" not in listing.text
    assert [button["text"] for button in listing.buttons] == ["1", "2", "3", "4", "5"]


async def test_appeals_page_through_and_open_one(emulator: BotApiEmulator, seeded_url: str) -> None:
    today = system_clock().date()
    async with sessions_for(seeded_url) as sessions, sessions.begin() as session:
        case = await get_case_by_slug(session, "ainur-kurmanov")
        assert case is not None
        for day in range(1, 8):
            await create_appeal(
                session,
                NewAppeal(
                    slug=f"recent-update-{day}",
                    title=f"Update {day} on Ainur Kurmanov",
                    summary="A later update.",
                    urgency=Urgency.URGENT if day % 2 else Urgency.NORMAL,
                    issued_on=today - timedelta(days=10 - day),
                    status=AppealStatus.PUBLISHED,
                    cases=[case],
                ),
            )
        await create_appeal(
            session,
            NewAppeal(
                slug="2014-draft",
                title="A draft nobody may see",
                summary="Draft.",
                urgency=Urgency.URGENT,
                issued_on=date(2014, 1, 1),
                cases=[case],
            ),
        )
    async with running_bot(emulator, seeded_url):
        [first] = await emulator.converse(CHAT, "/appeals")
        assert first.text.splitlines()[0] == "Latest appeals (1–5 of 12), open ones first"
        assert "1. 🔴 URGENT Update 7 on Ainur Kurmanov" in first.text
        assert "2. Update 6 on Ainur Kurmanov" in first.text
        assert "draft" not in first.text.lower()
        query = emulator.tap(first, "Older")
        await emulator.wait_for_answer(query)
        await emulator.wait_for_edit(first, 1)
        assert first.text.splitlines()[0] == "Latest appeals (6–10 of 12), open ones first"
        assert "6. Update 2 on Ainur Kurmanov" in first.text
        assert "7. 🔴 URGENT Update 1 on Ainur Kurmanov" in first.text
        assert "8. Kazakhstan: new wave of arrests" in first.text
        assert {"« Newer", "Older »"} <= {button["text"] for button in first.buttons}
        emulator.tap(first, "Older")
        await emulator.wait_for_edit(first, 2)
        assert first.text.splitlines()[0] == "Latest appeals (11–12 of 12), open ones first"
        assert [b["text"] for b in first.buttons] == ["11", "12", "« Newer"]
        emulator.tap(first, "12")
        [appeal] = (await emulator.wait_for_messages(CHAT, 2))[1:]
        assert appeal.text.startswith("⚠️ This appeal is from 20 April 2007 and is archived.")
        assert "🗄 archived\nAlmaty: procurator demands 15 days' jail" in appeal.text
        assert "20 April 2007: The Almaty city procurator asks" in appeal.text
        assert "Demands" not in appeal.text, "the appeal makes none"


async def test_open_appeal_shows_demands_dates_and_buttons(
    offline: OfflineChats, seeded_url: str
) -> None:
    await make_current(seeded_url, 3)
    [appeal] = await offline.converse(CHAT, "/appeal_3")
    text = appeal.text
    assert "2 May 2011: Trial of Dmitry Tikhonov" in text
    assert "2. Drop the charges against Dmitry Tikhonov." in text
    demands, solidarity = text.split("In solidarity")
    assert "6. End the sacking of worker activists" in demands
    assert "Kazakhstan 2012" not in demands.split("Demands")[1]
    assert "• Full support for Kazakhstan 2012" in solidarity
    labels = [button["text"] for button in appeal.buttons]
    assert labels[:3] == ["📬 Contacts", "✍️ Model letter", "✊ I sent a protest"]
    [missing] = await offline.converse(CHAT, "/appeal_999")
    assert "no published appeal number 999" in missing.text


async def test_contacts_for_a_case_group_targets_copies_and_embassy(
    offline: OfflineChats, seeded_url: str
) -> None:
    await make_current(seeded_url, 4)
    [contacts] = await offline.converse(CHAT, "/contacts Tikhonov")
    text = contacts.text
    assert text.startswith("Whom to protest to")
    assert "The court hearing the case of Dmitry Tikhonov" in text
    assert "📠 Fax: +7 727 271 5802" in text
    assert "☎️ To call (not to write to): +7 727 271 5807" in text
    # Every office the source names: "other protests" go to the KNB and police press offices.
    assert "✉️ Email: press@knb.kz" in text
    assert "✉️ Email: delta@police.kz" in text
    assert "✉️ Email: mid@mid.kz" in text
    assert "☎️ To call (not to write to): +7 7172 74 55 24" in text
    assert "Begin: Your Honour," in text
    copies = text.split("Send copies to")[1]
    assert "robert.cwi@gmail.com" in copies
    assert "ainur1917@gmail.com" in copies
    assert "Embassies" in text
    assert "Kazakhstan in your own country" in text


async def test_contacts_by_appeal_number_shows_the_postal_address(offline: OfflineChats) -> None:
    [contacts] = await offline.converse(CHAT, "/contacts 2")
    assert "📮 Post: 010000, Republic of Kazakhstan, Almaty, ul Seifullina 73" in contacts.text
    assert "Procurator of Almaty" in contacts.text


async def test_contacts_without_an_argument_says_what_to_send(offline: OfflineChats) -> None:
    [answer] = await offline.converse(CHAT, "/contacts")
    assert "/contacts Kurmanov" in answer.text


async def test_each_office_gets_its_own_copyable_letter(
    offline: OfflineChats, seeded_url: str
) -> None:
    await make_current(seeded_url, 5)
    [letter] = await offline.converse(CHAT, "/letter Karamshin")
    text = letter.text
    assert text.startswith("✍️ Letters about Vadim Kuramshin")
    assert "1. Embassy of Kazakhstan in your country" in text
    assert "2. Foreign Ministry of the Republic of Kazakhstan" in text
    assert "✉️ Email to mid@mid.kz" in text
    assert "I am writing to you about the case of Vadim Kuramshin." in text
    assert "1. Release Vadim Kuramshin and everyone arrested in this wave immediately." in text
    bodies = [body for _, body in letters_in([letter])]
    assert [body.split("\n")[0] for body in bodies] == ["Your Excellency,", "Dear Minister,"]
    assert all(body.rstrip().endswith("[Your town and country]") for body in bodies)


async def test_letter_for_the_court_case_opens_with_your_honour(
    offline: OfflineChats, seeded_url: str
) -> None:
    await make_current(seeded_url, 4)
    replies = await offline.converse(CHAT, "/letter Dmitry Tikhonov")
    text = "\n".join(message.text for message in replies)
    assert "1. The court hearing the case of Dmitry Tikhonov" in text
    assert "📠 Fax to +7 727 271 5802" in text
    court = dict(letters_in(replies))["The court hearing the case of Dmitry Tikhonov"]
    assert court.startswith("Your Honour,")
    assert "Copies of every letter to: robert.cwi@gmail.com, ainur1917@gmail.com" in text


async def test_case_buttons_give_contacts_and_letter(bot: BotApiEmulator) -> None:
    [summary] = await bot.converse(CHAT, "/case Kuramshin")
    bot.tap(summary, "Contacts")
    contacts = (await bot.wait_for_messages(CHAT, 2))[-1]
    assert "mid@mid.kz" in contacts.text
    bot.tap(summary, "Model letter")
    letter = (await bot.wait_for_messages(CHAT, 3))[-1]
    assert "the case of Vadim Kuramshin" in letter.text


async def test_i_sent_a_protest_counts_once_per_person(
    bot: BotApiEmulator, seeded_url: str
) -> None:
    await make_current(seeded_url, 4)
    [summary] = await bot.converse(CHAT, "/case Kurmanov")
    first = await bot.wait_for_answer(bot.tap(summary, "I sent a protest"))
    second = await bot.wait_for_answer(bot.tap(summary, "I sent a protest"))
    other = await bot.wait_for_answer(bot.tap(summary, "I sent a protest", user_id=777))
    assert first["text"] == "Thank you! Your protest is counted (1 so far)."
    assert second["text"] == "Already counted – thank you! (1 so far)"
    assert other["text"] == "Thank you! Your protest is counted (2 so far)."
    [again] = await bot.converse(CHAT, "/case Kurmanov")
    assert "Protests sent: 2" in again.text
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Protest)) == 2
