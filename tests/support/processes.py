"""The service as a separate process, as an operator runs it: a clean environment, a start."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from emulator import BotApiEmulator
from tests.support.keys import TEST_KEY_TEXT

REPO = Path(__file__).resolve().parent.parent.parent


def clean_env(**extra: str) -> dict[str, str]:
    """Return the environment without any APPEALBOT_ setting, plus ``extra``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("APPEALBOT_")}
    env.update(PYTHONPATH=str(REPO), APPEALBOT_DATA_KEY=TEST_KEY_TEXT, **extra)
    return env


def service_env(emulator: BotApiEmulator, database_url: str, **extra: str) -> dict[str, str]:
    """Return the environment of a service process that talks to the emulator."""
    return clean_env(
        APPEALBOT_TELEGRAM_TOKEN=emulator.token,
        APPEALBOT_TELEGRAM_API_URL=emulator.api_root,
        APPEALBOT_DATABASE_URL=database_url,
        APPEALBOT_HTTP_PORT="0",
        **extra,
    )


async def start_run(
    emulator: BotApiEmulator, cwd: Path, env: dict[str, str], *, timeout: float = 60.0
) -> asyncio.subprocess.Process:
    """Start `appealbot run` and wait until it polls the emulator."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    deadline = time.monotonic() + timeout
    while emulator.world.counters.calls["getupdates"] < 1:
        if process.returncode is not None:
            raise AssertionError("the service exited early")
        if time.monotonic() > deadline:
            process.kill()
            await process.wait()
            raise AssertionError("the service did not start polling")
        await asyncio.sleep(0.05)
    return process


async def start_worker(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    """Start an `appealbot worker` process with this environment."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "worker",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
