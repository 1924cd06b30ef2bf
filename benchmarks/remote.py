"""Start the Bot API emulator in its own process and talk to its control endpoints."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

import aiohttp

from benchmarks.keys import BENCH_KEY_TEXT
from bot.app import serve
from bot.config import Settings
from emulator.server import DEFAULT_TOKEN


class RemoteEmulator:
    """The emulator on the other core, so that it does not compete with what is measured."""

    def __init__(self, *, no_limits: bool = False, rate: float = 30.0) -> None:
        self.token = DEFAULT_TOKEN
        self._arguments = ["--rate", str(rate)] + (["--no-limits"] if no_limits else [])
        self._process: asyncio.subprocess.Process | None = None
        self._http: aiohttp.ClientSession | None = None
        self.port = 0

    @property
    def api_root(self) -> str:
        """Return the URL to give the bot."""
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> RemoteEmulator:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "emulator", *self._arguments, stdout=asyncio.subprocess.PIPE
        )
        assert self._process.stdout is not None
        line = await asyncio.wait_for(self._process.stdout.readline(), timeout=30)
        self.port = int(line.decode().rsplit(" ", 1)[1])
        self._http = aiohttp.ClientSession()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._http is not None:
            await self._http.close()
        if self._process is not None:
            self._process.terminate()
            await self._process.wait()

    async def _call(self, method: str, path: str, body: Any = None) -> Any:
        assert self._http is not None
        async with self._http.request(method, f"{self.api_root}/_emulator/{path}", json=body) as r:
            return await r.json()

    async def stats(self) -> dict[str, Any]:
        """Return what the emulator counted."""
        result: dict[str, Any] = await self._call("GET", "stats")
        return result

    async def reset(self) -> None:
        """Forget every message and counter."""
        await self._call("POST", "reset")

    async def limits(self, **values: Any) -> None:
        """Change the flood limits."""
        await self._call("POST", "limits", values)

    async def ask(self, chat_id: int, text: str, *, timeout: float = 5.0) -> float | None:
        """Write as a user; return ms until the bot's first answer (None: no answer)."""
        question = {"chat_id": chat_id, "text": text, "timeout": timeout}
        answer = await self._call("POST", "ask", question)
        return float(answer["ms"]) if answer["answered"] else None

    async def wait_until_polling(self, *, timeout: float = 20.0) -> None:
        """Wait until the bot has started long polling."""
        async with asyncio.timeout(timeout):
            while True:  # another process: nothing to wait on but its answers
                if (await self.stats())["calls"].get("getupdates"):
                    return
                await asyncio.sleep(0.05)


@asynccontextmanager
async def running_service(emulator: RemoteEmulator, database_url: str) -> AsyncIterator[None]:
    """Run the whole service (polling, handlers, delivery) until the block ends."""
    settings = Settings(
        _env_file=None,
        data_key=BENCH_KEY_TEXT,
        database_url=database_url,
        telegram_token=emulator.token,
        telegram_api_url=emulator.api_root,
        http_port=0,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop=stop))
    try:
        await emulator.wait_until_polling()
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)
