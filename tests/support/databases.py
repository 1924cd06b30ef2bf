"""Test databases: a fresh SQLite file, or a fresh database on the PostgreSQL server."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.database import Database
from storage.engine import create_engine, create_sessionmaker
from storage.migrate import upgrade

DATABASE_KINDS = ["sqlite", "postgresql"]
POSTGRES_ENV = "APPEALBOT_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class MigratedDatabase:
    """A migrated database: its URL, and sessions for arranging data and checking rows."""

    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    database: Database


def postgres_server_url() -> tuple[str, bool]:
    """Return the admin URL of the test server and whether CI demands it."""
    configured = os.environ.get(POSTGRES_ENV)
    return (configured or DEFAULT_POSTGRES_URL), bool(configured)


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """Create a throw-away database on the server and drop it afterwards."""
    server_url, required = postgres_server_url()
    try:
        admin = await asyncpg.connect(_asyncpg_dsn(server_url), timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        if required:
            raise RuntimeError(f"{POSTGRES_ENV} is set but the server is unreachable") from exc
        pytest.skip(f"no PostgreSQL server reachable at {server_url}: {exc}")
    name = f"appealbot_test_{secrets.token_hex(6)}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@asynccontextmanager
async def database(kind: str, folder: Path) -> AsyncIterator[MigratedDatabase]:
    """Yield a migrated database of the given kind."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / 'appealbot.db'}"
        async with _migrated(url) as test_db:
            yield test_db
        return
    async with postgres_database() as url, _migrated(url) as test_db:
        yield test_db


@asynccontextmanager
async def _migrated(url: str) -> AsyncIterator[MigratedDatabase]:
    await upgrade(url)
    engine = create_engine(url)
    try:
        yield MigratedDatabase(
            url=url, engine=engine, sessions=create_sessionmaker(engine), database=Database(engine)
        )
    finally:
        await engine.dispose()
