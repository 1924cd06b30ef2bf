"""Alembic environment: runs on a connection handed over by storage.migrate, or on its own."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from storage.engine import create_engine
from storage.models import Base

target_metadata = Base.metadata
DEFAULT_URL = "sqlite+aiosqlite:///appealbot.db"


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_standalone(url: str) -> None:
    engine = create_engine(url, for_migrations=True)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url") or os.environ.get(
        "APPEALBOT_DATABASE_URL", DEFAULT_URL
    )
    asyncio.run(_run_standalone(url))


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `appealbot db upgrade`")
_main()
