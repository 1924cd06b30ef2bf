"""Test databases: a fresh SQLite file, or a fresh database on the PostgreSQL server.

Each is a copy of a template migrated (and, if asked, seeded) once per test process: a SQLite
file copied, a PostgreSQL ``CREATE DATABASE … TEMPLATE``. What a test gets is what running the
migrations gives; it only does not wait for them again.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
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
from storage.sealed import SEALER
from storage.seeding import default_seed_dir, load_seed_files
from tests.support.keys import TEST_SEALER

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


async def _admin() -> asyncpg.Connection:
    server_url, required = postgres_server_url()
    try:
        return await asyncpg.connect(_asyncpg_dsn(server_url), timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        if required:
            raise RuntimeError(f"{POSTGRES_ENV} is set but the server is unreachable") from exc
        pytest.skip(f"no PostgreSQL server reachable at {server_url}: {exc}")


def _url_of(name: str) -> str:
    server_url, _ = postgres_server_url()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@asynccontextmanager
async def postgres_database(template: str | None = None) -> AsyncIterator[str]:
    """Create a throw-away database on the server (a copy of ``template``) and drop it after."""
    admin = await _admin()
    name = f"appealbot_test_{secrets.token_hex(6)}"
    try:
        copy = f' TEMPLATE "{template}"' if template else ""
        await admin.execute(f'CREATE DATABASE "{name}"{copy}')
        yield _url_of(name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


class Templates:
    """Databases migrated (and seeded) once per test process, copied for each test."""

    def __init__(self) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="appealbot-templates-"))
        self._sqlite: dict[bool, Path] = {}
        self._postgres: dict[bool, str] = {}

    async def sqlite(self, *, seeded: bool) -> Path:
        """Return the template SQLite file."""
        if seeded not in self._sqlite:
            path = self._folder / ("seeded.db" if seeded else "migrated.db")
            await _prepare(f"sqlite+aiosqlite:///{path}", seeded=seeded)
            self._sqlite[seeded] = path
        return self._sqlite[seeded]

    async def postgres(self, *, seeded: bool) -> str:
        """Return the name of the template database on the PostgreSQL server."""
        if seeded not in self._postgres:
            admin = await _admin()
            name = f"appealbot_template_{secrets.token_hex(6)}"
            try:
                await admin.execute(f'CREATE DATABASE "{name}"')
            finally:
                await admin.close()
            self._postgres[seeded] = name
            await _prepare(_url_of(name), seeded=seeded)
        return self._postgres[seeded]

    async def close(self) -> None:
        """Drop the PostgreSQL templates and delete the SQLite ones."""
        if self._postgres:
            admin = await _admin()
            try:
                for name in self._postgres.values():
                    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()
        shutil.rmtree(self._folder, ignore_errors=True)


async def _prepare(url: str, *, seeded: bool) -> None:
    await upgrade(url)
    if not seeded:
        return
    engine = create_engine(url)
    try:
        report = await load_seed_files(Database(engine, TEST_SEALER), [default_seed_dir()])
        assert not report.refused, report.refused
    finally:
        await engine.dispose()


@asynccontextmanager
async def database(
    kind: str, folder: Path, templates: Templates, *, seeded: bool = False
) -> AsyncIterator[MigratedDatabase]:
    """Yield a migrated database of the given kind (``seeded``: holding the shipped seeds)."""
    if kind == "sqlite":
        path = folder / "appealbot.db"
        shutil.copyfile(await templates.sqlite(seeded=seeded), path)
        async with _opened(f"sqlite+aiosqlite:///{path}") as test_db:
            yield test_db
        return
    template = await templates.postgres(seeded=seeded)
    async with postgres_database(template) as url, _opened(url) as test_db:
        yield test_db


@asynccontextmanager
async def _opened(url: str) -> AsyncIterator[MigratedDatabase]:
    engine = create_engine(url)
    try:
        yield MigratedDatabase(
            url=url,
            engine=engine,
            sessions=create_sessionmaker(engine, {SEALER: TEST_SEALER}),
            database=Database(engine, TEST_SEALER),
        )
    finally:
        await engine.dispose()
