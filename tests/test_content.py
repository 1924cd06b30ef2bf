"""Letters, contacts and cases read as someone about to write to an official would read them."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.timing import system_clock
from emulator import BotApiEmulator
from emulator.state import Sent
from storage.enums import AppealStatus, TargetKind, Urgency
from storage.models import Appeal, AppealTarget, Demand
from storage.repo.appeals import DemandSpec, NewAppeal, TargetLink, create_appeal
from storage.repo.cases import get_case_by_slug
from storage.repo.targets import upsert_target
from tests.support.bot import running_bot, sessions_for
from tests.support.delivery import make_current
from tests.support.offline import OfflineChats
from tests.test_golden import CASES

CHAT = 7070
SALUTATIONS = {
    "Press office of the KNB": "Dear Sir or Madam,",
    "Press office of the Almaty Police": "Dear Sir or Madam,",
    "Foreign Ministry of the Republic of Kazakhstan": "Dear Minister,",
    "Embassy of Kazakhstan in your country": "Your Excellency,",
    "The court hearing the case of Dmitry Tikhonov": "Your Honour,",
    "General Procurator of the Republic of Kazakhstan": "Dear Procurator General,",
}


def letters_in(messages: list[Sent]) -> list[tuple[str, str]]:
    """Return (office, letter) for every letter: the bold heading above each pre block."""
    found = []
    for message in messages:
        # Telegram counts entity offsets in UTF-16 code units.
        units = message.text.encode("utf-16-le")
        for pre in (e for e in message.entities if e["type"] == "pre"):
            start, end = 2 * pre["offset"], 2 * (pre["offset"] + pre["length"])
            body = units[start:end].decode("utf-16-le")
            before = units[:start].decode("utf-16-le")
            heading = re.findall(r"^\d+\. (.+?)(?: · .*)?$", before, re.MULTILINE)
            found.append((heading[-1], body))
    return found


async def seeded_texts(seeded_url: str) -> tuple[list[str], list[str]]:
    """Return every appeal summary and every solidarity point in the seeds."""
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        appeals = (await session.scalars(select(Appeal))).all()
        points = (await session.scalars(select(Demand).where(Demand.solidarity))).all()
    return [appeal.summary for appeal in appeals], [point.text for point in points]


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.;])\s+", text) if len(s) > 30]


async def test_every_seeded_case_gets_letters_addressed_to_each_office(
    offline: OfflineChats, seeded_url: str
) -> None:
    summaries, solidarity = await seeded_texts(seeded_url)
    for slug in CASES:
        replies = await offline.converse(CHAT, f"/letter {slug}")
        letters = letters_in(replies)
        assert letters, slug
        for office, letter in letters:
            assert letter.startswith(SALUTATIONS[office]), (slug, office, letter[:40])
            assert "I am writing" in letter, "first person"
            assert "[Your name]" in letter
            for summary in summaries:
                for sentence in sentences(summary):
                    assert sentence not in letter, (slug, office, sentence)
            for point in solidarity:
                assert point not in letter, (slug, office, point)
        if slug != "dmitry-tikhonov":
            # Only Tikhonov's trial is before that court.
            assert all("court" not in office for office, _ in letters), slug
        text = "\n".join(message.text for message in replies)
        assert "Dear Judge" not in text
        assert "This appeal is from" in text, "every seeded appeal is archived, and says so"


async def test_kurmanov_is_never_written_to_as_a_judge(offline: OfflineChats) -> None:
    replies = await offline.converse(CHAT, "/letter Kurmanov")
    offices = [office for office, _ in letters_in(replies)]
    assert "Press office of the KNB" in offices
    assert "The court hearing the case of Dmitry Tikhonov" not in offices
    for _, letter in letters_in(replies):
        assert "Ainur Kurmanov" in letter
        assert "Tikhonov" not in letter, "a letter about Kurmanov asks nothing about Tikhonov"


async def test_a_phone_is_for_calling_never_for_sending_a_letter(
    offline: OfflineChats, seeded_url: str
) -> None:
    await make_current(seeded_url, 4)
    for slug in CASES:
        [contacts] = await offline.converse(CHAT, f"/contacts {slug}")
        for line in contacts.text.splitlines():
            if "+7 7172 74 55 24" in line or "+7 727 271 5807" in line:
                assert line.startswith("☎️ To call (not to write to)"), line
    replies = await offline.converse(CHAT, "/letter Tikhonov")
    text = "\n".join(message.text for message in replies)
    calls = text.split("☎️ To call")[1]
    assert "+7 7172 74 55 24" in calls
    assert "Hello, my name is [your name]" in calls
    for office, _ in letters_in(replies):
        assert office != "Head of the Presidential Administration", "phone only: a call script"


async def test_kurmanovs_timeline_lists_what_happened_in_order(offline: OfflineChats) -> None:
    [page] = await offline.converse(CHAT, "/case Kurmanov")
    timeline = page.text.split("What happened when")[1].split("Appeals")[0]
    days = re.findall(r"• (\d{1,2} \w+ \d{4}):", timeline)
    assert days == ["19 April 2007", "20 April 2007", "1 May 2011"]
    assert "procurator asks for Ainur Kurmanov to be jailed for 15 days" in timeline
    appeals = page.text.split("Appeals")[1]
    assert re.findall(r"• ([^:]+):", appeals) == ["20 April 2007", "2 May 2011", "20 May 2011"]


async def test_seeded_appeals_say_they_are_archived_and_none_is_urgent(
    offline: OfflineChats,
) -> None:
    [listing] = await offline.converse(CHAT, "/appeals")
    assert "URGENT" not in listing.text
    assert listing.text.count("🗄 archived") == 5
    [case] = await offline.converse(CHAT, "/case Kuramshin")
    assert "Status: no outcome recorded; the newest appeal is from January 2012" in case.text
    assert "No further action is requested" in case.text
    assert "Status: open" not in case.text
    [appeal] = await offline.converse(CHAT, "/appeal_3")
    assert appeal.text.startswith("⚠️ This appeal is from 2 May 2011 and is archived.")
    assert "URGENT" not in appeal.text
    [contacts] = await offline.converse(CHAT, "/contacts 3")
    assert "This appeal is from 2 May 2011" in contacts.text
    assert "urgently" not in contacts.text


async def test_a_new_appeal_is_open_urgent_first_and_its_letters_go_by_email_fax_and_post(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    today = system_clock().date()
    async with sessions_for(seeded_url) as sessions, sessions.begin() as session:
        case = await get_case_by_slug(session, "vadim-kuramshin")
        assert case is not None
        procurator = await upsert_target(
            session,
            key="test-procurator",
            name="Procurator General of Kazakhstan",
            emails=["office@prokuror.example.kz"],
            faxes=["+77172711111"],
            postal_address="14 Mangilik El Avenue\nAstana 010000\nKazakhstan",
            salutation="Dear Procurator General,",
        )
        await create_appeal(
            session,
            NewAppeal(
                slug="new-kuramshin-appeal",
                title="Vadim Kuramshin on hunger strike",
                summary="A recent appeal.",
                letter_facts="Vadim Kuramshin has been on hunger strike in prison since last week.",
                urgency=Urgency.URGENT,
                issued_on=today - timedelta(days=2),
                deadline=today + timedelta(days=3),
                status=AppealStatus.PUBLISHED,
                cases=[case],
                demands=[DemandSpec("Let his lawyer and doctor see him at once.")],
                targets=[TargetLink(procurator, TargetKind.PROTEST)],
            ),
        )
    async with running_bot(emulator, seeded_url):
        [listing] = await emulator.converse(CHAT, "/appeals")
        first = next(line for line in listing.text.splitlines() if line.startswith("1."))
        assert first == "1. 🔴 URGENT Vadim Kuramshin on hunger strike"
        assert "3 days left" in listing.text
        replies = await emulator.converse(CHAT, "/letter Kuramshin", settle=1.0)
        text = "\n".join(message.text for message in replies)
        assert "This appeal is from" not in text, "open: no warning"
        assert "✉️ Email to office@prokuror.example.kz" in text
        assert "Subject: Vadim Kuramshin: a letter of concern" in text
        assert "📠 Fax to +7 7172 71 11 11" in text
        assert "online or email-to-fax service" in text
        # Three days left: too little for airmail.
        assert "Too little time is left for post" in text
        [(office, letter)] = letters_in(replies)
        assert office == "Procurator General of Kazakhstan"
        assert letter.startswith("Dear Procurator General,")
        assert "hunger strike in prison since last week" in letter
        assert "act on this: let his lawyer and doctor see him at once." in letter


async def test_a_letter_sent_by_post_gets_an_envelope(
    offline: OfflineChats, seeded_url: str
) -> None:
    await make_current(seeded_url, 2, days_ago=1)
    replies = await offline.converse(CHAT, "/letter Taraz")
    text = "\n".join(message.text for message in replies)
    assert (
        "General Procurator of the Republic of Kazakhstan\nul Seifullina 73\n010000 Almaty\n"
        "REPUBLIC OF KAZAKHSTAN"
    ) in text
    assert "airmail takes a week or more" in text
    assert "Check it before you post a letter." in text


async def test_the_same_office_in_two_appeals_keeps_one_set_of_links(seeded_url: str) -> None:
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        links = (
            await session.scalars(select(AppealTarget).options(selectinload(AppealTarget.target)))
        ).all()
    court = {link.appeal_id for link in links if link.target.key == "almaty-court-tikhonov"}
    assert len(court) == 2
