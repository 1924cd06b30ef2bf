"""Who may use the admins' commands: refusals counted and never attributed, admins added and
removed, each admin's own command menu."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from emulator import BotApiEmulator
from storage.enums import CaseStatus
from storage.models import Appeal, AuditEntry, Draft, Protest
from storage.repo.cases import get_case_by_slug
from tests.support.bot import running_bot, sessions_for

ADMIN, STRANGER = 4001, 4002


@pytest.fixture
async def admin_bot(emulator: BotApiEmulator, seeded_url: str) -> AsyncIterator[BotApiEmulator]:
    async with running_bot(emulator, seeded_url, admin_ids=[ADMIN]):
        yield emulator


async def count(url: str, model: type) -> int:
    async with sessions_for(url) as sessions, sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


ADMIN_COMMANDS = [
    "/newappeal",
    "/update Kuramshin",
    "/outcome Kuramshin released",
    "/withdraw 1",
    "/stats",
    "/admins add 5",
]


async def test_non_admins_are_told_and_audited(admin_bot: BotApiEmulator, seeded_url: str) -> None:
    before = await count(seeded_url, Appeal)
    for command in ADMIN_COMMANDS:
        [refusal] = await admin_bot.converse(STRANGER, command)
        assert refusal.text == "This command is for admins.", command
    assert await count(seeded_url, Appeal) == before
    assert await count(seeded_url, Draft) == 0
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        refused = (
            await session.scalars(select(AuditEntry).where(AuditEntry.allowed.is_(False)))
        ).all()
        case = await get_case_by_slug(session, "vadim-kuramshin")
    assert [entry.action for entry in refused] == [
        "newappeal",
        "update",
        "outcome",
        "withdraw",
        "stats",
        "admins",
    ]
    # Counted, never attributed: nothing in the log says who tried.
    assert {(entry.actor, entry.actor_id) for entry in refused} == {("non-admin", None)}
    assert all(str(STRANGER) not in str(entry.detail) for entry in refused)
    assert case is not None
    assert case.status is CaseStatus.OPEN


async def test_admins_add_and_stats(admin_bot: BotApiEmulator, seeded_url: str) -> None:
    [refused] = await admin_bot.converse(STRANGER, "/stats")
    assert refused.text == "This command is for admins."
    [added] = await admin_bot.converse(ADMIN, f"/admins add {STRANGER}")
    assert f"{STRANGER} is now an admin." in added.text
    assert f"{ADMIN}" in added.text
    [figures] = await admin_bot.converse(STRANGER, "/stats")
    assert figures.text.startswith("📊 Figures")
    assert "published 5" in figures.text
    [help_text] = await admin_bot.converse(STRANGER, "/help")
    assert "For admins" in help_text.text
    [removed] = await admin_bot.converse(ADMIN, f"/admins remove {STRANGER}")
    assert f"{STRANGER} is no longer an admin." in removed.text
    [refused_again] = await admin_bot.converse(STRANGER, "/stats")
    assert refused_again.text == "This command is for admins."
    [config] = await admin_bot.converse(ADMIN, f"/admins remove {ADMIN}")
    assert "change it there" in config.text
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        actions = (await session.scalars(select(AuditEntry.action).where(AuditEntry.allowed))).all()
    assert {"admins add", "admins remove"} <= set(actions)
    assert await count(seeded_url, Protest) == 0


async def test_admins_get_their_own_command_menu(admin_bot: BotApiEmulator) -> None:
    public = {command["command"] for command in admin_bot.commands}
    assert "newappeal" not in public
    await admin_bot.converse(ADMIN, "/stats")
    await admin_bot.wait_until(lambda: "newappeal" in admin_bot.commands_for(ADMIN))
    assert set(admin_bot.commands_for(ADMIN)) == public | {
        "newappeal",
        "update",
        "outcome",
        "withdraw",
        "reminders",
        "sources",
        "stats",
        "admins",
        "cancel",
    }
    await admin_bot.converse(STRANGER, "/start")
    await admin_bot.converse(ADMIN, f"/admins add {STRANGER}")
    await admin_bot.wait_until(lambda: "stats" in admin_bot.commands_for(STRANGER))
    await admin_bot.converse(ADMIN, f"/admins remove {STRANGER}")
    await admin_bot.wait_until(lambda: admin_bot.commands_for(STRANGER) == [])
