"""Engine and session factories; nothing here connects until asked."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000
# A PostgreSQL session left inside a transaction this long is ended by the server: a process
# frozen mid-transaction (a VM paused, SIGSTOP) would otherwise keep its row locks, and every
# other worker's heartbeat would wait on them until it woke. None of ours idles that long.
POSTGRES_IDLE_IN_TRANSACTION_MS = 20_000
READ_ONLY = "appealbot_read_only"


def is_sqlite(url: str) -> bool:
    """Tell whether a database URL points at SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, echo: bool = False, for_migrations: bool = False) -> AsyncEngine:
    """Create an async engine; SQLite gets WAL, foreign keys and immediate transactions."""
    if not is_sqlite(url):
        settings = {"idle_in_transaction_session_timeout": str(POSTGRES_IDLE_IN_TRANSACTION_MS)}
        return _create_async_engine(
            url, echo=echo, pool_pre_ping=True, connect_args={"server_settings": settings}
        )
    # Every session ends its own transaction, so the pool's extra rollback on return is
    # only another trip to the driver's thread.
    engine = _create_async_engine(
        url, echo=echo, connect_args={"timeout": 30}, pool_reset_on_return=None
    )
    # Batch migrations copy and drop whole tables; with foreign keys enforced, dropping a
    # parent table would cascade-delete its children.
    _configure_sqlite(engine, foreign_keys=not for_migrations)
    return engine


def _configure_sqlite(engine: AsyncEngine, *, foreign_keys: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that BEGIN below is the only one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # What is deleted (a chat id, an address) is overwritten, not left in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # No memory-mapped reads: mapped pages count as the process's memory and would grow
        # with the database; the OS page cache serves the same reads without that.
        cursor.execute("PRAGMA mmap_size=0")
        cursor.execute("PRAGMA temp_store=MEMORY")
        # A small page cache per connection: memory stays flat however many subscribers
        # a broadcast walks through; the OS caches the file anyway.
        cursor.execute("PRAGMA cache_size=-2000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A deferred transaction that reads and then writes fails at once with SQLITE_BUSY
        # when another connection wrote in between; taking the write lock up front makes
        # it wait for busy_timeout instead. Read-only sessions stay deferred, so that with
        # WAL they never wait for a writer.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def create_sessionmaker(
    engine: AsyncEngine, info: dict[str, Any] | None = None
) -> async_sessionmaker[AsyncSession]:
    """Create the session factory for work that writes (``info``: what its sessions carry)."""
    return async_sessionmaker(engine, expire_on_commit=False, info=info)


def create_read_sessionmaker(
    engine: AsyncEngine, info: dict[str, Any] | None = None
) -> async_sessionmaker[AsyncSession]:
    """Create a session factory for work that only reads (never blocked by writers on SQLite)."""
    return async_sessionmaker(
        engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False, info=info
    )
