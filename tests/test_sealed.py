"""Sealed: a stolen database, its write-ahead log or a backup names no subscriber; the key
rotates while the bot sends, survives a kill, can be destroyed; a backup needs its key."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import stat
import sys
from collections.abc import Awaitable
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select, text

from bot.services.maintenance import backup, restore
from core.errors import BadInputError, ConfigError
from core.keyfile import KeyFile
from core.sealing import DataKey, KeyRing, Sealer
from core.timing import system_clock
from emulator import BotApiEmulator
from storage.enums import SubscriberState
from storage.migrate import upgrade
from storage.models import AuditEntry, Subscriber
from storage.repo.seal_keys import seal_clear
from storage.sealed import SEALER
from tests.support import drafts
from tests.support.app import app_for
from tests.support.bot import running_bot, sessions_for
from tests.support.databases import MigratedDatabase
from tests.support.delivery import add_subscribers, publish_appeal, running_app
from tests.support.keys import TEST_KEY, TEST_KEYS, TEST_SEALER
from tests.support.mail import body, link, mail_settings
from tests.support.privacy import file_holds, file_mentions, files_of, sealed_naming
from tests.support.processes import clean_env
from tests.support.smtp import Sink, free_port, smtp_server

MAY_DAY = 3
FIXTURES = Path(__file__).parent / "fixtures" / "appeals"
STAYS, FORGETS, GROUP = 734_512_401, 734_512_402, -1_001_734_512_403
ASKED_BY_CHAT = "asked.in.chat@example.org"
READER, LEAVER = "reader.stays@example.org", "reader.leaves@example.org"


def database_file(url: str) -> Path:
    return Path(url.removeprefix("sqlite+aiosqlite:///"))


def kept_beside(database: Path) -> list[Path]:
    """Return the copies a restore keeps of the database it replaces."""
    return list(database.parent.glob("*before-restore*"))


async def test_a_day_of_a_network_leaves_no_address_in_the_files_or_the_backup(
    emulator: BotApiEmulator, seeded_url: str, tmp_path: Path
) -> None:
    sink = Sink()
    http_port = free_port()
    web = f"http://127.0.0.1:{http_port}"
    database = database_file(seeded_url)
    copy = tmp_path / "backup.db"
    people: list[int | str] = [STAYS, FORGETS, GROUP, ASKED_BY_CHAT, READER, LEAVER]
    async with (
        smtp_server(sink) as smtp_port,
        running_bot(emulator, seeded_url, **mail_settings(smtp_port, http_port)),
        aiohttp.ClientSession() as http,
    ):
        # Sign-ups: two chats, a group, an address typed in a chat, two by the site's form.
        for chat in (STAYS, FORGETS):
            await emulator.converse(chat, "/subscribe")
        emulator.make_admin(GROUP, STAYS)
        await emulator.converse(GROUP, "/subscribe", user_id=STAYS, chat_type="group")
        await emulator.converse(STAYS, f"/email {ASKED_BY_CHAT}")
        for address in (READER, LEAVER):
            async with http.post(f"{web}/subscribe", data={"email": address}) as answer:
                assert answer.status == 200
        confirmations = await sink.wait_for(3)
        for confirmation in confirmations:
            async with http.post(link(body(confirmation), "/email/confirm/")) as confirmed:
                assert confirmed.status == 200
        # A broadcast reaches every one of them.
        await publish_appeal(seeded_url, MAY_DAY, smtp_host="127.0.0.1", mail_from="a@example.org")
        mails = {str(m["To"]): m for m in (await sink.wait_for(6))[3:]}
        assert set(mails) == {ASKED_BY_CHAT, READER, LEAVER}
        for chat in (STAYS, FORGETS, GROUP):
            await emulator.find(chat, "⚠️ This appeal is from 2 May 2011")
        # The data is there, sealed: the service still reaches everyone.
        sealed = await sealed_naming(seeded_url, people)
        assert len(sealed) >= len(people)
        assert all(file_holds(database, value) for value in sealed[:3])
        # One chat asks to be forgotten, one reader unsubscribes; a backup is made.
        [ask] = await emulator.converse(FORGETS, "/forget")
        await emulator.wait_for_answer(emulator.tap(ask, "Yes, delete everything"))
        await emulator.wait_for_edit(ask, 1)
        async with http.post(link(body(mails[LEAVER]), "/email/unsubscribe/")) as left:
            assert left.status == 200
        await backup(seeded_url, copy)
        # While the service runs (nothing checkpointed by a clean stop), and in the backup:
        assert [path.name for path in files_of(database)] == [
            database.name,
            f"{database.name}-wal",
            f"{database.name}-shm",
        ]
        assert file_mentions(database, people, copy) == []
    assert file_mentions(database, people, copy) == []
    assert file_mentions(copy, people) == []


def test_the_scan_finds_an_address_in_any_of_its_forms(tmp_path: Path) -> None:
    database = tmp_path / "probe.db"
    for form in (
        b"x" + str(STAYS).encode(),
        STAYS.to_bytes(8, "little"),
        READER.encode("utf-16-le"),
        READER.encode().hex().encode(),
        b"cmVhZGVyLnN0YXlzQGV4YW1wbGUub3Jn",  # base64 of READER
    ):
        database.write_bytes(b"\0" * 64 + form + b"\0" * 64)
        assert file_mentions(database, [STAYS, READER]), form


async def test_a_key_file_is_made_on_first_start_for_its_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    url = f"sqlite+aiosqlite:///{folder / 'appealbot.db'}"
    await upgrade(url)
    key_file = tmp_path / "secrets" / "appealbot.key"
    async with app_for(url, key_file=key_file) as app:
        assert app.db.sealer.ring.current.id == KeyFile(key_file).read().current.id
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert not list(folder.glob("*.key")), "not beside the database"
    # Without it, a database sealed with it does not start (nor makes a new key).
    key_file.rename(tmp_path / "elsewhere.key")
    with pytest.raises(ConfigError, match="no key file"):
        async with app_for(url, key_file=key_file):
            pass
    assert not key_file.exists()
    with pytest.raises(ConfigError, match="sealed with key"):
        async with app_for(url, data_key=DataKey.new().as_text()):
            pass


async def test_a_database_from_before_is_sealed_by_its_migration_and_wiped(
    db: MigratedDatabase,
) -> None:
    await upgrade(db.url, revision="0015")
    chats = [str(800_000_001 + n) for n in range(1_200)]
    async with db.engine.begin() as connection:
        for n, address in enumerate([*chats, READER]):
            await connection.execute(
                text(
                    "INSERT INTO subscribers (channel, address, state, language, urgent_only,"
                    " digest, unsubscribe_token, created_at, updated_at) VALUES (:channel,"
                    " :address, 'active', 'en', false, false, :token, CURRENT_TIMESTAMP,"
                    " CURRENT_TIMESTAMP)"
                ),
                {
                    "channel": "email" if "@" in address else "telegram",
                    "address": address,
                    "token": f"token-{n}",
                },
            )
    # Interrupted after its first batch: the next run goes on where it stopped.
    await upgrade(db.url, revision="0016")
    async with db.sessions.begin() as session:
        assert await seal_clear(session, batch=100) == 100
    await upgrade(db.url, keys=TEST_KEYS)
    async with db.sessions() as session:
        rows = (await session.execute(select(Subscriber.channel, Subscriber.address_sealed))).all()
        found = await session.scalar(
            select(func.count())
            .select_from(Subscriber)
            .where(Subscriber.address_hash == TEST_KEY.lookup("email", READER))
        )
    opened = sorted(TEST_SEALER.open(channel, sealed) or "" for channel, sealed in rows)
    assert opened == sorted([*chats, READER])
    assert found == 1
    if db.url.startswith("sqlite"):
        assert file_mentions(database_file(db.url), [READER, chats[0], chats[-1]]) == []


async def test_a_rotation_during_a_broadcast_loses_nobody_and_sends_nobody_twice(
    emulator: BotApiEmulator, seeded_db: MigratedDatabase, tmp_path: Path
) -> None:
    key_file = KeyFile(tmp_path / "data.key", every=0.2)
    key_file.path.touch(mode=0o600)
    key_file.write(KeyRing(TEST_KEY))
    chats = list(range(61_001, 61_301))
    await add_subscribers(seeded_db.sessions, chats)
    settings = {"key_file": key_file.path}
    async with running_app(emulator, seeded_db.url, settings=settings) as app:
        await publish_appeal(seeded_db.url, MAY_DAY, key_file=key_file.path)
        await emulator.wait_until(lambda: emulator.stats["delivered"] >= 30, timeout=20)
        async with app_for(seeded_db.url, key_file=key_file.path) as operator:
            rotated = await operator.services.keys.rotate(batch=50)
        assert rotated.resealed >= len(chats)
        await emulator.wait_until(lambda: emulator.stats["delivered"] >= len(chats), timeout=30)
        assert app.db.sealer.ring == key_file.read()
    assert sorted(len(emulator.sent(chat)) for chat in chats) == [1] * len(chats)
    ring = key_file.read()
    assert ring.retiring == ()
    assert ring.current != TEST_KEY
    sealer = Sealer(key_file)
    async with sessions_for(seeded_db.url) as sessions, sessions() as session:
        rows = (await session.execute(select(Subscriber.address_sealed))).scalars().all()
    assert sorted(int(sealer.open("telegram", row) or 0) for row in rows) == chats
    assert TEST_SEALER.open("telegram", rows[0]) is None, "the old key opens nothing"


async def test_a_rotation_killed_midway_goes_on_where_it_stopped(
    seeded_sqlite_db: MigratedDatabase, tmp_path: Path
) -> None:
    key_file = KeyFile(tmp_path / "data.key")
    key_file.path.touch(mode=0o600)
    key_file.write(KeyRing(TEST_KEY))
    chats = list(range(70_001, 76_001))
    await add_subscribers(seeded_sqlite_db.sessions, chats)
    env = clean_env(
        APPEALBOT_DATABASE_URL=seeded_sqlite_db.url, APPEALBOT_KEY_FILE=str(key_file.path)
    )
    env.pop("APPEALBOT_DATA_KEY")

    def rotate() -> Awaitable[asyncio.subprocess.Process]:
        return asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "bot", "key", "rotate"),
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )

    rotation = await rotate()
    assert rotation.stdout is not None
    line = await asyncio.wait_for(rotation.stdout.readline(), timeout=60)
    assert line.startswith(b"sealed again:"), line
    rotation.send_signal(signal.SIGKILL)
    await rotation.wait()
    halfway = key_file.read()
    assert halfway.retiring == (TEST_KEY,), "the old key stays until the rotation is done"
    async with sessions_for(seeded_sqlite_db.url) as sessions, sessions() as session:
        statement = select(Subscriber.sealed_with, func.count()).group_by(Subscriber.sealed_with)
        mixed: dict[int | None, int] = {}
        for key_id, count in await session.execute(statement):
            mixed[key_id] = count
    assert mixed.get(TEST_KEY.id, 0) > 0, "stopped midway"
    assert mixed.get(halfway.current.id, 0) > 0
    again = await rotate()
    out, err = await asyncio.wait_for(again.communicate(), timeout=120)
    assert again.returncode == 0, err.decode()
    assert f"key #{halfway.current.id}".encode() in out, "the rotation it began, not a new one"
    done = key_file.read()
    assert done == KeyRing(halfway.current)
    sealer = Sealer(key_file)
    async with sessions_for(seeded_sqlite_db.url) as sessions, sessions() as session:
        rows = (await session.execute(select(Subscriber.address_sealed))).scalars().all()
    assert sorted(int(sealer.open("telegram", row) or 0) for row in rows) == chats


async def test_a_destroyed_key_loses_the_old_list_and_the_bot_goes_on_for_new_readers(
    emulator: BotApiEmulator, seeded_url: str, tmp_path: Path
) -> None:
    key_file = tmp_path / "data.key"
    old_reader, new_reader, admin = 71_001, 71_002, 71_003
    async with running_bot(emulator, seeded_url, key_file=key_file, admin_ids=[admin]):
        await emulator.converse(old_reader, "/subscribe")
        async with app_for(seeded_url, key_file=key_file) as operator:
            with pytest.raises(BadInputError, match="type the network's name"):
                await operator.services.keys.destroy("yes")
            assert (await operator.services.keys.status()).destroyed_at is None
            destroyed = await operator.services.keys.destroy("  urgent APPEALS ")
        assert destroyed.lost == 1
        [stats] = await emulator.converse(admin, "/stats")
        assert "The data key was destroyed on" in stats.text
        assert "1 earlier subscribers can no longer be reached" in stats.text
        await emulator.converse(new_reader, "/subscribe")
        before = len(emulator.sent(old_reader))
        await publish_appeal(seeded_url, MAY_DAY, key_file=key_file)
        await emulator.find(new_reader, "⚠️ This appeal is from 2 May 2011")
    assert len(emulator.sent(old_reader)) == before, "nobody can reach the lost list"
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        states = (await session.execute(select(Subscriber.state))).scalars().all()
    assert sorted(states) == sorted([SubscriberState.ACTIVE, SubscriberState.LOST])


async def test_a_backup_needs_its_key_and_a_wrong_one_changes_nothing(
    seeded_sqlite_db: MigratedDatabase, tmp_path: Path
) -> None:
    await add_subscribers(seeded_sqlite_db.sessions, [72_001, 72_002])
    async with app_for(seeded_sqlite_db.url) as app:  # registers the tests' key as in use
        await app.services.stats.collect()
    copy = tmp_path / "backup.db"
    await backup(seeded_sqlite_db.url, copy)
    await add_subscribers(seeded_sqlite_db.sessions, [72_003])
    database = database_file(seeded_sqlite_db.url)

    def fingerprint() -> str:
        return hashlib.sha256(database.read_bytes()).hexdigest()

    before = fingerprint()
    wrong = KeyFile(tmp_path / "wrong.key")
    wrong.create()
    with pytest.raises(BadInputError, match="holds another"):
        await restore(seeded_sqlite_db.url, copy, wrong)
    with pytest.raises(BadInputError, match="there is no key at"):
        await restore(seeded_sqlite_db.url, copy, KeyFile(tmp_path / "missing.key"))
    assert fingerprint() == before, "nothing changed"
    assert not kept_beside(database), "nothing was kept aside either"
    await restore(seeded_sqlite_db.url, copy, TEST_KEYS)
    async with sessions_for(seeded_sqlite_db.url) as sessions, sessions() as session:
        rows = (await session.execute(select(Subscriber.address_sealed))).scalars().all()
    assert sorted(TEST_SEALER.open("telegram", row) or "" for row in rows) == ["72001", "72002"]
    assert os.stat(copy).st_mode & 0o077 == 0


def test_a_sealed_address_opens_only_in_its_channel_with_its_key() -> None:
    sealer = Sealer.fixed(KeyRing(TEST_KEY))
    sealed = sealer.seal("telegram", "734512401")
    assert sealer.open("telegram", sealed.sealed) == "734512401"
    assert sealer.open("email", sealed.sealed) is None, "not moved to another channel"
    assert Sealer.fixed(KeyRing(DataKey.new())).open("telegram", sealed.sealed) is None
    tampered = sealed.sealed[:-1] + bytes([sealed.sealed[-1] ^ 1])
    assert sealer.open("telegram", tampered) is None
    assert sealer.seal("telegram", "734512401").sealed != sealed.sealed, "a fresh nonce"
    assert sealer.lookups("telegram", "734512401") == [sealed.lookup]
    assert SEALER  # the session key the repositories find the sealer under


async def test_a_large_broadcast_waits_for_a_second_admin_who_is_named(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    first, second, third = 4_101, 4_102, 4_103
    chats = list(range(8_601, 8_613))
    async with sessions_for(seeded_url) as sessions:
        await add_subscribers(sessions, chats)
    text = (FIXTURES / "2012-01-new-wave-of-arrests.txt").read_text("utf-8")
    text = text.replace("January 2012", f"{system_clock():%B %Y}")
    async with running_bot(
        emulator, seeded_url, admin_ids=[first, second], second_admin_above=len(chats) - 1
    ):
        _, review = await drafts.paste(emulator, first, text)
        await drafts.publish(emulator, first, review, "Publish as urgent")
        held = await emulator.find(first, "✅ Published")
        assert "held: a broadcast this large goes out once another admin confirms it" in held.text
        ask = await emulator.find(second, "🛡 A second admin is needed")
        assert f"admin {first} wants to send appeal" in ask.text
        assert f"to {len(chats)} readers" in ask.text
        assert [emulator.sent(chat) for chat in chats] == [[] for _ in chats], "nothing yet"
        # The admin who started it cannot confirm it, even with a forged tap.
        own = await emulator.wait_for_answer(
            emulator.tap(ask, "✅ Confirm: send it", user_id=first)
        )
        assert str(own["text"]).startswith("Another admin must confirm this broadcast")
        answer = await emulator.wait_for_answer(emulator.tap(ask, "✅ Confirm: send it"))
        assert str(answer["text"]).startswith(f"Confirmed: {len(chats)} messages go out")
        await emulator.wait_until(lambda: all(emulator.sent(c) for c in chats), timeout=30)
        await emulator.find(first, f"✅ Admin {second} confirmed your broadcast of appeal")
        # Giving admin rights is told to the other admins.
        await emulator.converse(first, f"/admins add {third}")
        await emulator.find(second, f"🛡 Admin {first} gave admin rights to {third}.")
    assert sorted(len(emulator.sent(chat)) for chat in chats) == [1] * len(chats)
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        entries = (
            await session.execute(
                select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.detail).where(
                    AuditEntry.action.in_(["broadcast held", "broadcast confirmed", "admins add"])
                )
            )
        ).all()
    named = {action: (actor, detail) for action, actor, detail in entries}
    assert named["broadcast held"][0] == first
    assert named["broadcast confirmed"][0] == second
    assert named["broadcast confirmed"][1]["started_by"] == first
    assert named["admins add"][0] == first


def test_a_process_opens_and_finds_what_another_sealed_with_a_newer_key(tmp_path: Path) -> None:
    path = tmp_path / "data.key"
    rotating = KeyFile(path)
    old = rotating.create().current
    sealer = Sealer(KeyFile(path, every=3_600.0))  # would not look at the file for an hour
    assert sealer.open("telegram", old.seal("telegram", "42")) == "42"
    new = KeyRing(DataKey.new(), (old,))
    rotating.write(new)
    assert sealer.open("telegram", new.current.seal("telegram", "42")) == "42"
    assert sealer.lookups("telegram", "42") == [
        new.current.lookup("telegram", "42"),
        old.lookup("telegram", "42"),
    ], "found under either key while the rotation runs"
    assert sealer.seal("telegram", "42").key_id == new.current.id
