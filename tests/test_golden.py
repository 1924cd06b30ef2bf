"""Golden files: what /case, /contacts and /letter say for every seeded case, word for word.

Each file is the reply as a reader sees it (text, then its buttons). The files are read and
reviewed by a person as the reader would: the right addressee, the right case, the right
dates, honest about the appeal's age. After a deliberate change, regenerate them with
APPEALBOT_UPDATE_GOLDEN=1 and review the diff before committing it.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from emulator.state import Sent
from storage.seeding import default_seed_dir, read_seed_file
from tests.support.languages import english_left
from tests.support.offline import OfflineChats, offline_bot

# Every test only reads: one service for the module, a new chat for each test.
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.xdist_group("golden")]

GOLDEN = Path(__file__).parent / "golden"
CASES = [
    "ainur-kurmanov",
    "dmitry-tikhonov",
    "vadim-kuramshin",
    "may-day-2011-almaty",
    "taraz-arrests-2010",
    "shanyrak-residents",
    "january-2012-arrests",
]
COMMANDS = ["case", "contacts", "letter"]
CHATS = itertools.count(6060)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def reader_bot(
    seeded_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[OfflineChats]:
    """Run the service once for the module, on a copy of the seeded database, in process:
    each reply is what the handlers send, checked as Telegram checks it."""
    copy = tmp_path_factory.mktemp("golden") / "seeded.db"
    shutil.copyfile(seeded_template, copy)
    async with offline_bot(f"sqlite+aiosqlite:///{copy}") as chats:
        yield chats


def as_read(messages: list[Sent]) -> str:
    """Return replies as a reader sees them: each message's text, then its buttons."""
    parts = []
    for message in messages:
        text = message.text
        buttons = [f"[{button['text']}]" for button in message.buttons]
        parts.append(text + ("\n\n" + " ".join(buttons) if buttons else ""))
    return "\n\n—— next message ——\n\n".join(parts) + "\n"


async def check_golden(bot: OfflineChats, slug: str, command: str, language: str) -> None:
    """Compare a reply, asked in a language, with its reviewed file (English: no suffix)."""
    replies = await bot.converse(next(CHATS), f"/{command} {slug}", language_code=language)
    seen = as_read(replies)
    suffix = "" if language == "en" else f".{language}"
    path = GOLDEN / f"{slug}.{command}{suffix}.txt"
    if os.environ.get("APPEALBOT_UPDATE_GOLDEN") == "1":
        path.write_text(seen, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with APPEALBOT_UPDATE_GOLDEN=1"
    assert seen == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("slug", CASES)
async def test_replies_match_their_reviewed_golden_file(
    reader_bot: OfflineChats, slug: str, command: str
) -> None:
    await check_golden(reader_bot, slug, command, "en")


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("slug", CASES)
async def test_russian_replies_match_their_reviewed_golden_file(
    reader_bot: OfflineChats, slug: str, command: str
) -> None:
    await check_golden(reader_bot, slug, command, "ru")


def english_of_the_seeds() -> set[str]:
    """Return the sentences of five words or more the seeds write in English."""
    said: list[str] = []
    for path in sorted(default_seed_dir().glob("*.yaml")):
        seed = read_seed_file(path)
        appeal = seed.appeal
        said += [appeal.summary, appeal.letter_facts or "", appeal.inferred or ""]
        said += [event.label for event in appeal.events]
        said += [demand.text for demand in appeal.demands]
        for case in seed.cases:
            said += [case.summary or "", case.letter_facts or "", case.inferred or ""]
        for target in seed.targets:
            said += [target.notes or "", target.note or ""]
    sentences = set()
    for text in said:
        for sentence in re.split(r"(?<=[.;:!?])\s+", text):
            if len(re.findall(r"[A-Za-z]{2,}", sentence)) >= 5:
                sentences.add(sentence.strip())
    return sentences


async def test_no_russian_reply_holds_an_english_sentence(reader_bot: OfflineChats) -> None:
    english = english_of_the_seeds()
    assert len(english) > 50, "the seeds' English is read"
    asked = [f"/{command} {slug}" for slug in CASES for command in COMMANDS]
    asked += [f"/appeal_{number}" for number in range(1, 6)]
    asked += ["/appeals", "/cases", "/start", "/help"]
    for text in asked:
        for reply in await reader_bot.converse(next(CHATS), text, language_code="ru"):
            assert not english_left(reply.text), (text, english_left(reply.text))
            left = [sentence for sentence in english if sentence in reply.text]
            assert not left, (text, left)
