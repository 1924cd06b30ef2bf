"""Languages: the Russian catalog is whole, each reader is answered in their language, letters
are written in a language the offices read, and a text not written in a reader's language
says so."""

from __future__ import annotations

import asyncio
import re

import aiohttp
from sqlalchemy import delete

from emulator import BotApiEmulator, Sent
from storage.models import AppealText
from storage.repo.subscribers import get_by_address
from storage.seeding import default_seed_dir, load_seed_files
from templates.i18n import speaking
from tests.support.bot import running_bot, sessions_for
from tests.support.databases import MigratedDatabase
from tests.support.delivery import (
    add_subscribers,
    make_current,
    publish_appeal,
    running_engine,
    until_done,
)
from tests.support.languages import catalog, english_left, extracted, gaps
from tests.support.mail import add_reader, subscriber
from tests.support.mail import publish_appeal as publish_by_mail
from tests.support.offline import OfflineChats, offline_bot
from tests.support.smtp import Sink

READER, OTHER, ADMIN = 7301, 7302, 7304
MAY_DAY, NEW_WAVE = 3, 5


async def stored_language(url: str, chat_id: int) -> str | None:
    async with sessions_for(url) as sessions, sessions() as session:
        found = await get_by_address(session, "telegram", str(chat_id))
        return found.language if found else None


async def letters_after(bot: BotApiEmulator, chat_id: int, before: int) -> str:
    """Wait for the letters a tap sends after ``before`` messages; return their text."""

    def came() -> bool:
        sent = bot.sent(chat_id)
        return len(sent) > before and sent[-1].reply_markup is not None

    await bot.wait_until(came, timeout=10, what="the letters")
    return "\n".join(message.text for message in bot.sent(chat_id)[before:])


def assert_russian(message: Sent) -> None:
    """Check a reply, and its buttons, is in Russian (names and addresses may be in Latin)."""
    assert re.search("[а-яё]{4,}", message.text, re.IGNORECASE), message.text
    assert not english_left(message.text), english_left(message.text)
    for button in message.buttons:
        assert not english_left(button["text"]), button["text"]


def test_every_text_people_read_is_in_the_russian_catalog() -> None:
    messages = extracted()
    assert len(messages) > 300, "the extraction reads the code and every template"
    assert gaps(messages, catalog("ru")) == []


def test_the_catalog_check_fails_for_a_missing_or_wrong_translation() -> None:
    messages = extracted()
    russian = catalog("ru")
    first = next(m for m in messages if isinstance(m, str) and "%(" in m)
    broken = catalog("ru")
    broken.delete(first)
    assert gaps(messages, broken) == [f"missing: {first!r}"]
    wrong = catalog("ru")
    wrong[first].string = "без полей"
    assert gaps(messages, wrong) == [f"fields differ: {first!r} -> 'без полей'"]
    assert gaps(messages, russian) == []


async def test_a_russian_reader_is_answered_in_russian_for_every_command(
    seeded_url: str,
) -> None:
    async with offline_bot(seeded_url) as bot:
        await _every_command_in_russian(bot)


async def _every_command_in_russian(bot: OfflineChats) -> None:
    [start] = await bot.converse(READER, "/start", language_code="ru")
    assert "хранит срочные обращения" in start.text
    assert_russian(start)
    assert start.button("Подписаться")
    [help_text] = await bot.converse(READER, "/help", language_code="ru")
    assert "Дело: что случилось, статус, хронология" in help_text.text
    assert "/case <имя>" in help_text.text
    assert_russian(help_text)

    [case] = await bot.converse(READER, "/case Kurmanov", language_code="ru")
    assert case.text.startswith("Айнур Курманов")
    assert "социалист из Алматы" in case.text
    assert "Статус:" in case.text
    assert "мая 2011" in case.text
    assert_russian(case)
    assert case.buttons[0]["text"] == "📬 Адресаты"

    [appeals] = await bot.converse(READER, "/appeals", language_code="ru")
    assert appeals.text.startswith("Последние обращения")
    assert "Казахстан: новая волна арестов" in appeals.text
    assert_russian(appeals)
    [appeal] = await bot.converse(READER, f"/appeal_{MAY_DAY}", language_code="ru")
    assert "Алматы: полиция напала на социалистов на Первомае" in appeal.text
    assert "Снять обвинения с Дмитрия Тихонова." in appeal.text
    assert "⚠️ Дата обращения: 2 мая 2011; оно в архиве." in appeal.text
    assert "Больше ничего делать не нужно" in appeal.text
    assert_russian(appeal)
    [contacts] = await bot.converse(READER, "/contacts Tikhonov", language_code="ru")
    assert contacts.text.startswith("Кому обращение просило писать")
    assert_russian(contacts)
    for text in ("/subscribe", "/settings", "/timezone", "/language", "/email", "/forget"):
        replies = await bot.converse(READER, text, language_code="ru")
        for reply in replies:
            assert_russian(reply)
    [unknown] = await bot.converse(READER, "/nonsense", language_code="ru")
    assert_russian(unknown)
    [hint] = await bot.converse(READER, "Курманов", language_code="ru")
    assert_russian(hint)


async def test_letters_are_in_the_offices_language_and_the_reader_picks(
    bot: BotApiEmulator, seeded_url: str
) -> None:
    await make_current(seeded_url, MAY_DAY)
    russian = await bot.converse(READER, f"/letter_{MAY_DAY}", language_code="ru")
    text = "\n".join(part.text for part in russian)
    assert "Ниже — письмо в каждое ведомство" in text
    assert "Уважаемый господин министр!" in text
    assert "Я пишу Вам, потому что меня глубоко тревожит" in text
    assert "Прекратить преследование и насилие полиции" in text
    assert "Dear Minister," not in text
    for part in russian:
        assert_russian(part)
    bot.tap(russian[-1], "Письмо: английский")
    english_letter = await letters_after(bot, READER, len(russian))
    # The reader's own language around it; the letter itself in English.
    assert "Ниже — письмо в каждое ведомство" in english_letter
    assert "Dear Minister," in english_letter
    assert "I respectfully urge you" in english_letter

    english = await bot.converse(OTHER, f"/letter_{MAY_DAY}", language_code="en")
    text = "\n".join(part.text for part in english)
    assert "Dear Minister," in text
    assert "Some of these offices read Russian: the button below writes" in text
    bot.tap(english[-1], "Letter in Russian")
    for_them = await letters_after(bot, OTHER, len(english))
    assert "A letter for each office below" in for_them
    assert "Уважаемый господин министр!" in for_them
    assert "Ваше Превосходительство!" in for_them


async def test_an_appeal_not_written_in_russian_says_so(
    offline: OfflineChats, seeded_url: str
) -> None:
    async with sessions_for(seeded_url) as sessions, sessions.begin() as session:
        await session.execute(delete(AppealText).where(AppealText.appeal_id == NEW_WAVE))
    await make_current(seeded_url, NEW_WAVE)
    [appeal] = await offline.converse(READER, f"/appeal_{NEW_WAVE}", language_code="ru")
    assert "Показано на языке оригинала (английский)" in appeal.text
    assert "Kazakhstan: new wave of arrests" in appeal.text
    assert "Требования" in appeal.text
    letter = "\n".join(
        part.text
        for part in await offline.converse(READER, f"/letter_{NEW_WAVE}", language_code="ru")
    )
    assert "Your Excellency," in letter, "without a Russian text, the letter is English"
    assert "но у обращения пока нет такого текста" in letter


async def test_the_language_chosen_is_kept_and_menus_come_in_each(
    bot: BotApiEmulator, seeded_url: str
) -> None:
    [settings, *_offer] = await bot.converse(READER, "/subscribe", language_code="en")
    assert "Language: English" in settings.text
    [chosen] = await bot.converse(READER, "/language ru", language_code="en")
    assert "Язык: Русский" in chosen.text
    assert await stored_language(seeded_url, READER) == "ru"
    # Chosen here, it wins over what the Telegram app says.
    [help_text] = await bot.converse(READER, "/help", language_code="en")
    assert help_text.text.startswith("Команды")
    bot.tap(chosen, "English")
    await bot.wait_for_edit(chosen, 1)
    assert "Language: English" in chosen.text
    assert await stored_language(seeded_url, READER) == "en"

    menus = bot.world.language_commands
    russian = {item["command"]: item["description"] for item in menus[("default", "ru")]}
    english = {item["command"]: item["description"] for item in bot.world.commands}
    assert russian.keys() == english.keys()
    assert russian["case"] == "Дело: что случилось, статус, хронология"
    assert english["case"] == "A case: what happened, status, timeline"


async def test_a_broadcast_reaches_each_reader_in_their_language(
    emulator: BotApiEmulator, sqlite_db: MigratedDatabase
) -> None:
    await load_seed_files(sqlite_db.database, [default_seed_dir()])
    await add_subscribers(sqlite_db.sessions, [READER], language="en")
    await add_subscribers(sqlite_db.sessions, [OTHER], language="ru")
    await publish_appeal(sqlite_db.url, MAY_DAY)
    async with running_engine(emulator, sqlite_db.url) as engine:
        engine.wake()
        await asyncio.wait_for(until_done(sqlite_db.database, MAY_DAY), timeout=30)
    [english] = emulator.sent(READER)
    [russian] = emulator.sent(OTHER)
    assert english.text.startswith("⚠️ This appeal is from 2 May 2011 and is archived.")
    assert russian.text.startswith("⚠️ Дата обращения: 2 мая 2011; оно в архиве.")
    assert "Алматы: полиция напала на социалистов" in russian.text
    # Archived: nothing to protest about any more.
    assert [b["text"] for b in russian.buttons] == ["📬 Адресаты", "✍️ Образец письма"]
    assert_russian(russian)


async def test_email_speaks_the_readers_language(
    mail_bot: tuple[BotApiEmulator, str], seeded_url: str, sink: Sink
) -> None:
    bot, web_root = mail_bot
    [asked] = await bot.converse(READER, "/email reader@example.org", language_code="ru")
    assert_russian(asked)
    [confirmation] = await sink.wait_for(1)
    assert confirmation["Subject"] == "Подтвердите: срочные обращения по почте"
    stored = await subscriber(seeded_url, "reader@example.org")
    assert stored is not None
    assert stored.language == "ru"

    token = await add_reader(seeded_url, "leser@example.org", language="ru")
    await publish_by_mail(seeded_url, MAY_DAY)
    messages = await sink.wait_for(2)
    appeal = next(m for m in messages if m["To"] == "leser@example.org")
    plain = appeal.get_body(("plain",))
    assert plain is not None
    text = plain.get_content()
    assert "ОБРАЩЕНИЕ: Алматы: полиция напала" in text
    assert "Уважаемый господин министр!" in text
    assert "Вы получаете это письмо, потому что" in text

    async with aiohttp.ClientSession() as http:
        async with http.get(
            f"{web_root}/subscribe", headers={"Accept-Language": "ru-RU,ru;q=0.9"}
        ) as page:
            assert "Срочные обращения по почте" in await page.text()
        async with http.get(f"{web_root}/subscribe?lang=en") as page:
            assert "Urgent appeals by email" in await page.text()
        settings_url = f"{web_root}/email/settings/{token}"
        async with http.get(settings_url) as page:
            body = await page.text()
            assert 'lang="ru"' in body
            assert "Что вы получаете по почте" in body
        form = {"urgent_only": "0", "delivery": "now", "digest_hour": "8", "language": "en"}
        async with http.post(settings_url, data=form) as page:
            assert "Saved." in await page.text()
    saved = await subscriber(seeded_url, "leser@example.org")
    assert saved is not None
    assert saved.language == "en"


async def test_an_admin_follows_a_broadcast_in_their_language(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    async with running_bot(emulator, seeded_url, admin_ids=[ADMIN]):
        async with sessions_for(seeded_url) as sessions:
            await add_subscribers(sessions, [READER])
        # Published from a Russian admin's chat: the progress they follow is in Russian.
        with speaking("ru"):
            await publish_appeal(seeded_url, MAY_DAY, progress_chat_id=ADMIN)
        summary = await emulator.find(ADMIN, "✅ Рассылка завершена")
    assert "Отправлено 1 из 1 · ошибок 0" in summary.text
    assert re.search(r"Заняло \d+ с", summary.text), summary.text
    [english] = emulator.sent(READER)
    assert english.text.startswith("⚠️ This appeal is from 2 May 2011 and is archived.")
