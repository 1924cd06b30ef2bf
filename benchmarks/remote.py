"""Start the Bot API emulator in its own process and talk to its control endpoints."""

from __future__ import annotations

import asyncio
import sys
from types import TracebackType
from typing import Any

import aiohttp

from tests.emulator.server import DEFAULT_TOKEN


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
            sys.executable, "-m", "tests.emulator", *self._arguments, stdout=asyncio.subprocess.PIPE
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
