"""What the public can see: drafts never, withdrawn appeals only as "withdrawn"."""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.services.actors import Actor
from emulator import BotApiEmulator, Sent
from storage.models import Appeal, Case, Protest
from storage.repo.cases import get_case_by_slug
from tests.support.app import app_for
from tests.support.bot import running_bot, sessions_for

# A new reader for each question: one chat's replies wait for Telegram's limit of about one
# message a second, and what any reader sees is the point here.
READERS = itertools.count(6_101)
SECRET = "NOT FOR PUBLICATION: our source is her cellmate"
DRAFT_TEXT = f"""Belarus: Zhanna Secretova detained in Minsk

{SECRET}, who must not be named. On 3 March Zhanna Secretova, a trade union organiser at
the tractor works in Minsk, was detained after a meeting and is held without charge.

Please send protests to the Procurator General of Belarus, Email: secret-target@example.by
"""


async def import_draft(url: str, folder: Path) -> int:
    """Import a text file with `appealbot import`, as an operator would; return the draft id."""
    path = folder / "draft.txt"
    path.write_text(DRAFT_TEXT, encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "import",
        str(path),
        env={**os.environ, "APPEALBOT_DATABASE_URL": url},
        cwd=folder,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()
    async with sessions_for(url) as sessions, sessions() as session:
        appeal_id = await session.scalar(select(func.max(Appeal.id)))
    assert appeal_id is not None
    assert f"draft appeal {appeal_id}" in stdout.decode()
    return int(appeal_id)


@pytest.fixture
async def reader(
    emulator: BotApiEmulator, seeded_url: str, tmp_path: Path
) -> AsyncIterator[tuple[BotApiEmulator, int, Case]]:
    """The bot, with an imported draft about a new case nobody has reviewed."""
    draft_id = await import_draft(seeded_url, tmp_path)
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        case = await get_case_by_slug(session, "belarus-zhanna-secretova-detained-in-minsk")
        case = case or (await session.scalars(select(Case).order_by(Case.id.desc()))).first()
    assert case is not None
    async with running_bot(emulator, seeded_url):
        yield emulator, draft_id, case


def everything_said(bot: BotApiEmulator) -> str:
    return "\n".join(m.text for chat in bot.world.messages.values() for m in chat)


async def tap(
    bot: BotApiEmulator, message: Sent, data: str, *, expect: int = 1
) -> tuple[list[Sent], dict[str, object]]:
    """Send a callback query with ``data``; return the replies and the answer to the query."""
    before = len(bot.sent(message.chat_id))
    answer = await bot.wait_for_answer(bot.tap_data(message, data))
    replies = await bot.wait_for_messages(message.chat_id, before + expect, timeout=10)
    return replies[before:], answer


async def test_an_imported_draft_is_invisible_by_every_path(
    reader: tuple[BotApiEmulator, int, Case],
) -> None:
    bot, draft_id, case = reader
    [none] = await bot.converse(next(READERS), "/case Secretova")
    assert none.text.startswith("I found no case matching")
    [listing] = await bot.converse(next(READERS), "/case")
    assert "Secretova" not in listing.text
    assert all("Secretova" not in button["text"] for button in listing.buttons)
    for payload in (f"case_{case.slug}", f"case_{case.id}", f"appeal_{draft_id}"):
        [answer] = await bot.converse(next(READERS), f"/start {payload}")
        assert answer.text.startswith("I found no"), payload
    for command in ("/contacts Secretova", "/letter Zhanna Secretova"):
        [answer] = await bot.converse(next(READERS), command)
        assert answer.text.startswith("I found no case"), command
    for command in (f"/appeal_{draft_id}", f"/contacts_{draft_id}", f"/letter_{draft_id}"):
        [answer] = await bot.converse(next(READERS), command)
        assert answer.text.startswith("I found no published appeal"), command
    [hint] = await bot.converse(next(READERS), "Secretova")
    assert "Secretova" not in hint.text
    [appeals] = await bot.converse(next(READERS), "/appeals")
    assert "Belarus" not in appeals.text

    # Forged buttons: a case, an appeal, its contacts and letter, a protest, a follow.
    for data in (f"case:{case.id}", f"apl:{draft_id}", f"cta:{draft_id}", f"lta:{draft_id}"):
        replies, _ = await tap(bot, none, data)
        assert len(replies) == 1, data
        assert replies[0].text.startswith("I found no"), data
    _, protest = await tap(bot, none, f"prt:{draft_id}:0", expect=0)
    assert protest["text"] == "This appeal is no longer available."
    [settings] = await bot.converse(next(READERS), "/subscribe")
    assert "Belarus" not in settings.text
    assert all("BY" not in button["text"] for button in settings.buttons)
    _, follow = await tap(bot, settings, f"fol:{case.id}", expect=0)
    assert "Subscribe first" in str(follow["text"]) or follow["show_alert"]

    said = everything_said(bot)
    assert SECRET not in said
    assert "tractor works" not in said
    assert "Belarus" not in said
    assert "secret-target@example.by" not in said


async def test_a_withdrawn_appeal_shows_nothing_actionable(
    bot: BotApiEmulator, seeded_url: str
) -> None:
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        shanyrak = await session.scalar(
            select(Appeal.id).where(Appeal.slug == "2007-04-20-kurmanov-shanyrak")
        )
    assert shanyrak is not None
    async with app_for(seeded_url) as app:
        await app.services.publishing.withdraw(shanyrak, actor=Actor("test"))
    [before] = await bot.converse(next(READERS), "/case Kurmanov")
    assert "procurator demands 15 days" not in before.text
    for command in (
        f"/appeal_{shanyrak}",
        f"/start appeal_{shanyrak}",
        f"/contacts_{shanyrak}",
        f"/letter_{shanyrak}",
        f"/contacts {shanyrak}",
        "/letter 2007-04-20-kurmanov-shanyrak",
    ):
        [answer] = await bot.converse(next(READERS), command)
        reference = command.split()[-1].split("_")[-1]
        assert answer.text.startswith(f"Appeal {reference} was withdrawn"), command
        assert "Embassy" not in answer.text
        assert "Dear" not in answer.text
        assert answer.buttons == []
    for data in (f"apl:{shanyrak}", f"cta:{shanyrak}", f"lta:{shanyrak}"):
        replies, _ = await tap(bot, before, data)
        assert [reply.text.split(" was ")[0] for reply in replies] == [f"Appeal {shanyrak}"], data
    _, protest = await tap(bot, before, f"prt:{shanyrak}:0", expect=0)
    assert protest["text"] == "This appeal is no longer available."
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Protest)) == 0
    # The case only that appeal was about is gone from public view, with its summary.
    [gone] = await bot.converse(next(READERS), "/case Shanyrak")
    assert gone.text.startswith("I found no case matching")
    [start] = await bot.converse(next(READERS), "/start case_shanyrak-residents")
    assert start.text.startswith("I found no case")
    assert "bulldoze" not in everything_said(bot)
