"""What the bot says is what the sources say: closed matters ask for nothing, inferences are
shown as such, every office the source names is listed, letters arrive whole and safe."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from bot.presentation.render import Presenter
from core.timing import system_clock
from emulator import BotApiEmulator
from emulator.telegram_html import check_text
from storage.enums import AppealStatus, CaseStatus, TargetKind, Urgency
from storage.models import Appeal, Case, Protest
from storage.records import appeal_record
from storage.repo.appeals import DemandSpec, NewAppeal, TargetLink, create_appeal, get_appeal
from storage.repo.cases import get_case_by_slug
from storage.repo.targets import upsert_target
from storage.standing import AgePolicy
from tests.support.bot import running_bot, sessions_for
from tests.support.delivery import make_current
from tests.support.offline import OfflineChats
from tests.test_content import letters_in

CHAT = 7171
SOURCE_OFFICES = [
    "The court hearing the case of Dmitry Tikhonov",
    "Press office of the KNB",
    "Press office of the Almaty Police",
    "Foreign Ministry of the Republic of Kazakhstan",
    "Head of the Presidential Administration",
    "Kazakhstan in your own country",
]


async def protests(url: str) -> int:
    async with sessions_for(url) as sessions, sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Protest)) or 0)


async def test_an_archived_appeal_asks_for_nothing(bot: BotApiEmulator, seeded_url: str) -> None:
    [appeal] = await bot.converse(CHAT, "/appeal_3")
    assert "No further action is requested. Thank you to everyone who wrote." in appeal.text
    assert "Protests sent" not in appeal.text
    assert "I sent a protest" not in {button["text"] for button in appeal.buttons}
    letter = "\n".join(m.text for m in await bot.converse(CHAT, "/letter_3", settle=1.0))
    assert "kept as a record. It is not a letter to send now." in letter
    assert "Copy it, add your name" not in letter
    assert "☎️ To call" not in letter
    assert "Email to" not in letter
    [case] = await bot.converse(CHAT, "/case Tikhonov")
    assert "Protests sent" not in case.text, "no zero counter"
    assert [b["text"] for b in case.buttons] == ["📬 Contacts", "✍️ Model letter"]
    # A button kept from before, or forged, counts nothing.
    answer = await bot.wait_for_answer(bot.tap_data(appeal, "prt:3:0"))
    assert answer["text"] == "No further action is requested. Thank you to everyone who wrote."
    assert await protests(seeded_url) == 0


async def test_a_resolved_appeal_asks_for_nothing(offline: OfflineChats, seeded_url: str) -> None:
    await make_current(seeded_url, 5)
    [open_case] = await offline.converse(CHAT, "/case Kuramshin")
    assert "✊ I sent a protest" in [b["text"] for b in open_case.buttons]
    async with sessions_for(seeded_url) as sessions, sessions.begin() as session:
        await session.execute(
            update(Case)
            .where(Case.slug.in_(["vadim-kuramshin", "january-2012-arrests"]))
            .values(status=CaseStatus.RELEASED)
        )
    [appeal] = await offline.converse(CHAT, "/appeal_5")
    assert "the case has had an outcome since. No further action is requested." in appeal.text
    assert "I sent a protest" not in {button["text"] for button in appeal.buttons}
    letter = "\n".join(m.text for m in await offline.converse(CHAT, "/letter_5"))
    assert "kept as a record" in letter
    [case] = await offline.converse(CHAT, "/case Kuramshin")
    assert "Status: released" in case.text
    assert "I sent a protest" not in {button["text"] for button in case.buttons}


async def test_an_inferred_link_is_shown_with_its_doubt(offline: OfflineChats) -> None:
    [case] = await offline.converse(CHAT, "/case Tikhonov")
    assert "beaten and detained by police in Taraz (?) /appeal_2" in case.text
    assert "❓ (?) inferred by the network, not said by the appeal of 9 March 2010:" in case.text
    assert "No appeal says so." in case.text
    assert "Dmitri Tikhonv" not in case.text.split("\n")[2], "a source's typo is not an alias"
    [taraz] = await offline.converse(CHAT, "/appeal_2")
    assert "Cases: Taraz arrests, March 2010, Dmitry Tikhonov (?)" in taraz.text
    assert "Dmitry Tikhonov: the appeal does not say so; the network infers it." in taraz.text
    assert "Inferred by the network, not said by the appeal: The appeal says" in taraz.text
    [russian] = await offline.converse(CHAT, "/case Tikhonov", language_code="ru")
    assert "❓ (?) вывод сети, а не слова обращения" in russian.text
    assert "Ни один призыв этого не говорит." in russian.text
    # The typo still finds him.
    [found] = await offline.converse(CHAT, "/case Tikhonv")
    assert found.text.startswith("Dmitry Tikhonov")


async def test_contacts_list_every_office_the_source_names(offline: OfflineChats) -> None:
    for about in ("Tikhonov", "May Day 2011"):
        [contacts] = await offline.converse(CHAT, f"/contacts {about}")
        for office in SOURCE_OFFICES:
            assert office in contacts.text, (about, office)
        assert "press@knb.kz" in contacts.text
        assert "delta@police.kz" in contacts.text


async def test_a_court_is_asked_only_about_its_own_case(
    offline: OfflineChats, seeded_url: str
) -> None:
    await make_current(seeded_url, 3, 4)
    for number in (3, 4):
        replies = await offline.converse(CHAT, f"/letter_{number}")
        court = dict(letters_in(replies))["The court hearing the case of Dmitry Tikhonov"]
        asked = court.split("act on this: ")[1].split("\n")[0]
        assert "Tikhonov" in asked
        assert "trials of activists" not in court
        assert "Kurmanov" not in court, "only its own case"


async def test_the_same_words_are_said_once_and_the_safety_note_comes_with_letters(
    offline: OfflineChats, seeded_url: str
) -> None:
    await make_current(seeded_url, 4)
    replies = await offline.converse(CHAT, "/letter Tikhonov")
    text = "\n".join(message.text for message in replies)
    assert "🛡 If you have family in Kazakhstan, or plan to travel there" in text
    assert "The same letter as 2, beginning “Dear Minister,”" in text
    assert text.count("No fax machine?") == 1, "said once, not beside every fax number"
    scripts = [line for line in text.splitlines() if line.startswith("Hello, my name is")]
    assert len(scripts) == len(set(scripts)), "a call script said once for the offices it suits"
    assert "say this, in English" not in text


async def test_a_network_and_an_appeal_can_say_their_own_safety_note(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    await make_current(seeded_url, 4, 5)
    async with sessions_for(seeded_url) as sessions, sessions.begin() as session:
        await session.execute(
            update(Appeal)
            .where(Appeal.id == 5)
            .values(safety_note="Sign as you wish; we can help.")
        )
    notes = {"KZ": "Sign with initials: letters are read by the security services."}
    async with running_bot(emulator, seeded_url, safety_notes=notes):
        network = "\n".join(m.text for m in await emulator.converse(CHAT, "/letter_4"))
        own = "\n".join(m.text for m in await emulator.converse(CHAT, "/letter_5"))
    assert "🛡 Sign with initials: letters are read by the security services." in network
    assert "🛡 Sign as you wish; we can help." in own


async def test_no_letter_is_split_across_messages(seeded_url: str) -> None:
    today = system_clock().date()
    async with sessions_for(seeded_url) as sessions, sessions.begin() as session:
        case = await get_case_by_slug(session, "vadim-kuramshin")
        assert case is not None
        offices = [
            await upsert_target(
                session,
                key=f"office-{n}",
                name=f"Regional procurator number {n}",
                emails=[f"office{n}@prokuror.example.kz"],
                salutation=f"Dear Procurator {n},",
                notes="Write in plain words; this office answers letters from abroad. " * 3,
            )
            for n in range(9)
        ]
        facts = "Vadim Kuramshin has been held in a punishment cell for weeks. " * 14
        appeal = await create_appeal(
            session,
            NewAppeal(
                slug="many-offices",
                title="Vadim Kuramshin held in a punishment cell",
                summary="A recent appeal to many offices.",
                letter_facts=facts,
                urgency=Urgency.URGENT,
                issued_on=today - timedelta(days=1),
                status=AppealStatus.PUBLISHED,
                cases=[case],
                demands=[
                    DemandSpec(f"Demand {n}: " + "let his lawyer see him at once " * 3, False)
                    for n in range(4)
                ],
                targets=[
                    TargetLink(office, TargetKind.PROTEST)
                    for n, office in enumerate(offices)
                    if n % 3  # some offices are asked one thing each: different letters
                ],
            ),
        )
        for n, demand in enumerate(appeal.demands):
            demand.addressees = [offices[(n + k) % 9] for k in range(1, 3 + n)]
        appeal_id = appeal.id
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        row = await get_appeal(session, appeal_id)
        assert row is not None
        loaded = appeal_record(row)
    presenter = Presenter()
    pack = presenter.letter_pack(loaded, AgePolicy().of(loaded))
    parts = presenter.telegram("letter", appeal=None, pack=pack)
    shown = [check_text(part, parse_mode="HTML")[0] for part in parts]
    assert len(shown) > 2, "long enough to need several messages"
    whole = [item for item in pack.writable if item.same_as is None]
    assert len(whole) > 2
    for item in whole:
        assert item.letter is not None
        assert sum(item.letter in text for text in shown) == 1, item.name
