"""Shared fixtures: the Bot API emulator and databases (SQLite file, PostgreSQL)."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from emulator import BotApiEmulator
from tests.support.bot import running_bot
from tests.support.databases import DATABASE_KINDS, MigratedDatabase, Templates, database
from tests.support.keys import TEST_KEY_TEXT
from tests.support.mail import mail_settings
from tests.support.offline import OfflineChats, offline_bot
from tests.support.smtp import Sink, free_port, smtp_server

# Opt in to the coming PTB behaviour: RetryAfter.retry_after as a timedelta.
os.environ.setdefault("PTB_TIMEDELTA", "1")
# Every process a test starts seals with the tests' key, unless the test names a key file;
# no key file is ever made in the home folder of whoever runs the tests.
os.environ["APPEALBOT_DATA_KEY"] = TEST_KEY_TEXT
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="appealbot-test-config-")

# Property tests: a few examples while developing, many more under CI (CI=true there).
_PROFILE = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}
settings.register_profile("dev", max_examples=20, **_PROFILE)  # type: ignore[arg-type]
settings.register_profile("ci", max_examples=150, **_PROFILE)  # type: ignore[arg-type]
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


@pytest.fixture(scope="session")
def templates() -> Iterator[Templates]:
    """Databases migrated (and seeded) once per test process, copied for each test."""
    made = Templates()
    yield made
    asyncio.run(made.close())


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    """Start a Bot API emulator with Telegram's default limits."""
    async with BotApiEmulator() as server:
        yield server


@pytest.fixture(params=DATABASE_KINDS)
async def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, templates: Templates
) -> AsyncIterator[MigratedDatabase]:
    """Give an empty, migrated database: a SQLite file, and PostgreSQL when it is reachable."""
    async with database(request.param, tmp_path_factory.mktemp("db"), templates) as test_db:
        yield test_db


@pytest.fixture(params=DATABASE_KINDS)
async def seeded_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, templates: Templates
) -> AsyncIterator[MigratedDatabase]:
    """Give a migrated database holding the shipped seeds: SQLite, and PostgreSQL too."""
    folder = tmp_path_factory.mktemp("db")
    async with database(request.param, folder, templates, seeded=True) as test_db:
        yield test_db


@pytest.fixture
async def sqlite_db(
    tmp_path_factory: pytest.TempPathFactory, templates: Templates
) -> AsyncIterator[MigratedDatabase]:
    """Give an empty, migrated SQLite database file."""
    async with database("sqlite", tmp_path_factory.mktemp("db"), templates) as test_db:
        yield test_db


@pytest.fixture
async def seeded_sqlite_db(
    tmp_path_factory: pytest.TempPathFactory, templates: Templates
) -> AsyncIterator[MigratedDatabase]:
    """Give a migrated SQLite database file holding the shipped seeds."""
    folder = tmp_path_factory.mktemp("db")
    async with database("sqlite", folder, templates, seeded=True) as test_db:
        yield test_db


@pytest.fixture(scope="session")
def seeded_template(templates: Templates) -> Path:
    """A SQLite file migrated and loaded with the shipped seeds, once per test process."""
    return asyncio.run(templates.sqlite(seeded=True))


@pytest.fixture
def seeded_url(seeded_template: Path, tmp_path: Path) -> str:
    """Give a fresh copy of the seeded database."""
    copy = tmp_path / "seeded.db"
    shutil.copyfile(seeded_template, copy)
    return f"sqlite+aiosqlite:///{copy}"


@pytest.fixture
async def bot(emulator: BotApiEmulator, seeded_url: str) -> AsyncIterator[BotApiEmulator]:
    """Run the real service on a seeded database; the test talks to it through the emulator."""
    async with running_bot(emulator, seeded_url):
        yield emulator


@pytest.fixture
async def offline(seeded_url: str) -> AsyncIterator[OfflineChats]:
    """Run the real service on a seeded database, in process: updates built in memory, the
    bot's requests answered without a network (for handlers that need no Telegram)."""
    async with offline_bot(seeded_url) as chats:
        yield chats


@pytest.fixture
def sink() -> Sink:
    """A real SMTP server's mailbox (the server runs with ``mail_bot``)."""
    return Sink()


@pytest.fixture
async def mail_bot(
    emulator: BotApiEmulator, seeded_url: str, sink: Sink
) -> AsyncIterator[tuple[BotApiEmulator, str]]:
    """Run the service mailing through a real SMTP server; give the emulator and its web root."""
    http_port = free_port()
    async with (
        smtp_server(sink) as smtp_port,
        running_bot(emulator, seeded_url, **mail_settings(smtp_port, http_port)),
    ):
        yield emulator, f"http://127.0.0.1:{http_port}"
