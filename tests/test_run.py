"""``appealbot run``: refuses to start without a token, otherwise migrates, seeds and serves."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import serve
from core.errors import AlreadyRunningError
from emulator import BotApiEmulator
from storage.engine import create_engine, create_sessionmaker
from storage.models import Appeal, Case
from tests.support.bot import bot_settings, running_bot
from tests.support.processes import clean_env, service_env, start_run


async def run_and_wait(tmp_path: Path, **env: str) -> tuple[int, str, str]:
    """Run `appealbot run` until it exits; return its exit code, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=clean_env(
            APPEALBOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}",
            **env,
        ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_run_without_token_says_how_to_get_one(tmp_path: Path) -> None:
    code, stdout, stderr = await run_and_wait(tmp_path)
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1
    assert "APPEALBOT_TELEGRAM_TOKEN" in lines[0]
    assert "@BotFather" in lines[0]
    assert ".env" in lines[0]
    assert stdout == ""
    assert not (tmp_path / "c.db").exists(), "nothing is created before the token is checked"


async def test_run_serves_a_fresh_database_and_stops_on_sigterm(
    tmp_path: Path, emulator: BotApiEmulator
) -> None:
    database = tmp_path / "fresh.db"
    env = service_env(emulator, f"sqlite+aiosqlite:///{database}")
    process = await start_run(emulator, tmp_path, env)
    try:
        [welcome] = await emulator.converse(501, "/start", timeout=10)
        assert "urgent appeals" in welcome.text
        assert {command["command"] for command in emulator.commands} >= {"start", "help"}
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    assert emulator.token not in stderr.decode()
    assert emulator.token.split(":")[1] not in stderr.decode()

    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        async with create_sessionmaker(engine)() as session:
            appeals = await session.scalar(select(func.count()).select_from(Appeal))
            cases = await session.scalar(select(func.count()).select_from(Case))
    finally:
        await engine.dispose()
    assert (appeals, cases) == (5, 7)


async def test_start_and_help_in_process(tmp_path: Path, emulator: BotApiEmulator) -> None:
    async with running_bot(emulator, f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"):
        [welcome] = await emulator.converse(7, "/start")
        [help_text] = await emulator.converse(7, "/help")
    assert "model letter" in welcome.text
    assert "/start" in help_text.text
    assert "/help" in help_text.text


async def test_a_wrong_token_is_reported_as_such(tmp_path: Path, emulator: BotApiEmulator) -> None:
    code, _, stderr = await run_and_wait(
        tmp_path,
        APPEALBOT_TELEGRAM_TOKEN="999999:not-the-token",
        APPEALBOT_TELEGRAM_API_URL=emulator.api_root,
    )
    assert code == 2
    assert "Telegram refused APPEALBOT_TELEGRAM_TOKEN" in stderr
    assert "not-the-token" not in stderr
    assert "Unclosed" not in stderr


async def test_an_unreachable_api_is_reported_in_one_line(tmp_path: Path) -> None:
    code, _, stderr = await run_and_wait(
        tmp_path,
        APPEALBOT_TELEGRAM_TOKEN="123456:secret-token-value",
        APPEALBOT_TELEGRAM_API_URL="http://127.0.0.1:9",
    )
    assert code == 1
    lines = [line for line in stderr.splitlines() if line.startswith("appealbot:")]
    assert lines == [lines[0]]
    assert "could not reach the Bot API at http://127.0.0.1:9" in lines[0]
    assert "secret-token-value" not in stderr
    assert "Unclosed" not in stderr


async def test_a_second_run_on_the_same_database_is_refused_and_says_who_holds_it(
    tmp_path: Path, emulator: BotApiEmulator
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"
    async with running_bot(emulator, url):
        with pytest.raises(AlreadyRunningError) as refused:
            await serve(bot_settings(emulator, url), stop=asyncio.Event())
        # The first goes on answering, alone.
        [welcome] = await emulator.converse(7, "/start")
    assert f"process {os.getpid()}@" in str(refused.value)
    assert "model letter" in welcome.text
    assert emulator.world.counters.calls["getupdates"] > 0
    # A clean stop lets the next run start at once.
    async with running_bot(emulator, url):
        [again] = await emulator.converse(8, "/start")
    assert "model letter" in again.text


async def test_a_port_in_use_is_named_as_the_reason(
    tmp_path: Path, emulator: BotApiEmulator
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = bot_settings(
            emulator, f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", http_port=port
        )
        with pytest.raises(AlreadyRunningError, match=f"port {port} on 127.0.0.1 is in use"):
            await serve(settings, stop=asyncio.Event())
    # Nothing of it is left behind: a run on a free port starts on the same database.
    async with running_bot(emulator, settings.database_url):
        [welcome] = await emulator.converse(9, "/start")
    assert "model letter" in welcome.text
