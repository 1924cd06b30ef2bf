"""Shared fixtures: the Bot API emulator and databases (SQLite file, PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from tests.emulator import BotApiEmulator
from tests.support.databases import DATABASE_KINDS, MigratedDatabase, database

# Opt in to the coming PTB behaviour: RetryAfter.retry_after as a timedelta.
os.environ.setdefault("PTB_TIMEDELTA", "1")


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    """Start a Bot API emulator with Telegram's default limits."""
    async with BotApiEmulator() as server:
        yield server


@pytest.fixture(params=DATABASE_KINDS)
async def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[MigratedDatabase]:
    """Give an empty, migrated database: a SQLite file, and PostgreSQL when it is reachable."""
    async with database(request.param, tmp_path_factory.mktemp("db")) as test_db:
        yield test_db


@pytest.fixture
async def sqlite_db(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MigratedDatabase]:
    """Give an empty, migrated SQLite database file."""
    async with database("sqlite", tmp_path_factory.mktemp("db")) as test_db:
        yield test_db
