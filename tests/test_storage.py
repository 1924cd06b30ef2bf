"""Migrations, the engine and the repositories, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from storage.enums import SubscriberState
from storage.migrate import current_revision, head_revision, upgrade
from storage.models import Base, Subscriber
from storage.repo.cases import get_case_by_slug, upsert_case
from storage.repo.targets import upsert_target
from tests.support.databases import MigratedDatabase
from tests.support.keys import TEST_KEYS, TEST_SEALER, sealed


async def test_migrations_reach_head_and_match_the_models(db: MigratedDatabase) -> None:
    assert await current_revision(db.engine) == head_revision()

    def differences(connection: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))

    async with db.engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_upgrading_twice_changes_nothing(db: MigratedDatabase) -> None:
    await upgrade(db.url)
    assert await current_revision(db.engine) == head_revision()


async def test_sqlite_runs_with_wal_and_foreign_keys(sqlite_db: MigratedDatabase) -> None:
    async with sqlite_db.engine.connect() as connection:
        mode = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
        foreign_keys = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar()
    assert (mode, foreign_keys) == ("wal", 1)


async def test_foreign_keys_are_enforced(db: MigratedDatabase) -> None:
    with pytest.raises(IntegrityError):
        async with db.sessions.begin() as session:
            await session.execute(
                text("INSERT INTO case_names (case_id, name, search_key) VALUES (999, 'x', 'x')")
            )


async def test_upsert_case_fills_gaps_and_never_overwrites(db: MigratedDatabase) -> None:
    async with db.sessions.begin() as session:
        case, created = await upsert_case(
            session, slug="ainur-kurmanov", name="Ainur Kurmanov", country="KZ", aliases=["Aimur"]
        )
        assert created
        case.summary = "Written by an admin."
    async with db.sessions.begin() as session:
        _, created = await upsert_case(
            session,
            slug="ainur-kurmanov",
            name="Ainur Kurmanov",
            country="KZ",
            place="Almaty",
            summary="From a seed.",
            aliases=["Aimur", "Айнур Курманов"],
        )
        assert not created
    async with db.sessions() as session:
        stored = await get_case_by_slug(session, "ainur-kurmanov")
    assert stored is not None
    assert stored.summary == "Written by an admin."
    assert stored.place == "Almaty"
    assert [name.name for name in stored.names] == ["Ainur Kurmanov", "Aimur", "Айнур Курманов"]
    assert [name.search_key for name in stored.names][-1] == "aynur kurmanov"


async def test_upsert_target_merges_contacts(db: MigratedDatabase) -> None:
    async with db.sessions.begin() as session:
        await upsert_target(session, key="knb", name="Press office of the KNB")
    async with db.sessions.begin() as session:
        target = await upsert_target(
            session, key="knb", name="Press office of the KNB", emails=["press@knb.kz"]
        )
    assert target.emails == ["press@knb.kz"]


async def test_subscribers_are_unique_per_channel_and_address(db: MigratedDatabase) -> None:
    chat = "-1001234567890"
    async with db.sessions.begin() as session:
        session.add(
            Subscriber(channel="telegram", **sealed("telegram", chat), unsubscribe_token="a" * 32)
        )
        # The same address on another channel is another subscriber.
        session.add(
            Subscriber(channel="pigeon", **sealed("pigeon", chat), unsubscribe_token="c" * 32)
        )
    with pytest.raises(IntegrityError):
        async with db.sessions.begin() as session:
            session.add(
                Subscriber(
                    channel="telegram", **sealed("telegram", chat), unsubscribe_token="b" * 32
                )
            )
    async with db.sessions() as session:
        stored = (
            await session.scalars(select(Subscriber).where(Subscriber.channel == "telegram"))
        ).one()
    assert stored.state is SubscriberState.PENDING
    assert stored.created_at.tzinfo is not None


async def test_migrations_go_down_and_up_again(db: MigratedDatabase) -> None:
    await upgrade(db.url, revision="base")
    assert await current_revision(db.engine) is None
    await upgrade(db.url)
    assert await current_revision(db.engine) == head_revision()


async def test_country_lists_move_into_rows(db: MigratedDatabase) -> None:
    await upgrade(db.url, revision="base")
    await upgrade(db.url, revision="0001")
    async with db.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO subscribers (channel, chat_id, state, language, urgent_only, digest,"
                " countries, unsubscribe_token, created_at, updated_at) VALUES ('telegram', 5,"
                " 'active', 'en', false, false, '[\"KZ\", \"RU\"]', 'token-5',"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    await upgrade(db.url, keys=TEST_KEYS)
    async with db.sessions() as session:
        rows = (await session.execute(text("SELECT country FROM subscriber_countries"))).all()
    assert sorted(row[0] for row in rows) == ["KZ", "RU"]


async def test_one_mailbox_under_two_spellings_becomes_one_subscriber(db: MigratedDatabase) -> None:
    await upgrade(db.url, revision="base")
    await upgrade(db.url, revision="0013")
    async with db.engine.begin() as connection:
        for token, address, state, country in (
            ("token-a", "Victim@Example.org", "pending", "RU"),
            ("token-b", "victim@example.org", "active", "KZ"),
            ("token-c", "other@example.org", "active", "BY"),
        ):
            await connection.execute(
                text(
                    "INSERT INTO subscribers (channel, address, state, language, urgent_only,"
                    " digest, unsubscribe_token, created_at, updated_at) VALUES ('email',"
                    " :address, :state, 'en', false, false, :token, CURRENT_TIMESTAMP,"
                    " CURRENT_TIMESTAMP)"
                ),
                {"address": address, "state": state, "token": token},
            )
            await connection.execute(
                text(
                    "INSERT INTO subscriber_countries (subscriber_id, country) SELECT id,"
                    " :country FROM subscribers WHERE unsubscribe_token = :token"
                ),
                {"country": country, "token": token},
            )
    await upgrade(db.url, keys=TEST_KEYS)
    async with db.sessions() as session:
        sealed_rows = (
            await session.execute(
                text(
                    "SELECT id, address_sealed, state, unsubscribe_token FROM subscribers"
                    " ORDER BY id"
                )
            )
        ).all()
        rows = [(row[0], TEST_SEALER.open("email", row[1]), row[2], row[3]) for row in sealed_rows]
        kept = next(row for row in rows if row[1] == "victim@example.org")
        countries = (
            await session.execute(
                text("SELECT country FROM subscriber_countries WHERE subscriber_id = :id"),
                {"id": kept[0]},
            )
        ).all()
    assert [row[1] for row in rows] == ["victim@example.org", "other@example.org"]
    assert (kept[2], kept[3]) == ("active", "token-b"), "the confirmed row is the one kept"
    assert sorted(row[0] for row in countries) == ["KZ", "RU"], "what either chose is kept"
