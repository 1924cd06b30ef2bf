"""A real Matrix homeserver for the tests: Synapse from PyPI, on 127.0.0.1, in its own
process, with a SQLite database in a temporary folder; users registered by its shared secret."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from tests.support.smtp import free_port

SHARED_SECRET = "appealbot-tests-registration"


def synapse_or_skip() -> None:
    """Skip without Synapse here (fail under CI, which installs the test extras)."""
    try:
        import synapse  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("matrix-synapse is required under CI (pip install -e '.[test]')")
        pytest.skip("no matrix-synapse here: pip install -e '.[test]'")


@dataclass
class Homeserver:
    """A running Synapse: its address and an HTTP session to drive it as users do."""

    url: str
    http: aiohttp.ClientSession
    tokens: dict[str, str] = field(default_factory=dict)  # by user: each registered once

    async def call(
        self, method: str, path: str, token: str | None = None, body: Any = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.http.request(method, self.url + path, json=body, headers=headers) as answer:
            found: dict[str, Any] = await answer.json()
            if answer.status >= 400:
                raise AssertionError(f"{method} {path}: {answer.status} {found}")
            return found

    async def register(self, user: str, password: str, *, admin: bool = False) -> str:
        """Register a user by the shared secret (once); return its access token."""
        if user in self.tokens:
            return self.tokens[user]
        nonce = (await self.call("GET", "/_synapse/admin/v1/register"))["nonce"]
        mac = hmac.new(SHARED_SECRET.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), user.encode(), password.encode()]))
        mac.update(b"\x00" + (b"admin" if admin else b"notadmin"))
        found = await self.call(
            "POST",
            "/_synapse/admin/v1/register",
            body={
                "nonce": nonce,
                "username": user,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
        )
        self.tokens[user] = str(found["access_token"])
        return self.tokens[user]

    async def messages(self, room_id: str, token: str) -> list[dict[str, Any]]:
        """Return a room's text messages, oldest first."""
        found = await self.call(
            "GET", f"/_matrix/client/v3/rooms/{room_id}/messages?dir=f&limit=100", token
        )
        return [
            event
            for event in found["chunk"]
            if event["type"] == "m.room.message" and "body" in event.get("content", {})
        ]


@asynccontextmanager
async def homeserver(
    *, messages_per_second: float = 50.0, burst: int = 50
) -> AsyncIterator[Homeserver]:
    """Generate a config, start Synapse and wait until it answers; stop it at the end."""
    synapse_or_skip()
    folder = Path(tempfile.mkdtemp(prefix="appealbot-synapse-"))
    port = free_port()
    config = folder / "homeserver.yaml"
    generate = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "synapse.app.homeserver",
        "--server-name",
        "localhost",
        "--config-path",
        str(config),
        "--data-directory",
        str(folder),
        "--generate-config",
        "--report-stats=no",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, error = await generate.communicate()
    assert generate.returncode == 0, error.decode()[-2000:]
    extra = folder / "tests.yaml"
    extra.write_text(
        yaml.safe_dump(
            {
                "listeners": [
                    {
                        "port": port,
                        "bind_addresses": ["127.0.0.1"],
                        "type": "http",
                        "tls": False,
                        "x_forwarded": False,
                        "resources": [{"names": ["client"], "compress": False}],
                    }
                ],
                "registration_shared_secret": SHARED_SECRET,
                "enable_registration": False,
                "trusted_key_servers": [],
                "suppress_key_server_warning": True,
                "federation_domain_whitelist": [],
                "presence": {"enabled": False},
                "rc_message": {"per_second": messages_per_second, "burst_count": burst},
                "rc_login": {
                    "address": {"per_second": 100, "burst_count": 100},
                    "account": {"per_second": 100, "burst_count": 100},
                },
                "rc_joins": {"local": {"per_second": 100, "burst_count": 100}},
                "rc_invites": {"per_room": {"per_second": 100, "burst_count": 100}},
                "log_config": None,
            }
        ),
        encoding="utf-8",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "synapse.app.homeserver",
        "-c",
        str(config),
        "-c",
        str(extra),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=folder,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            server = Homeserver(url, http)
            async with asyncio.timeout(90):
                while True:
                    if process.returncode is not None:
                        raise RuntimeError("Synapse stopped while starting")
                    try:
                        async with http.get(url + "/health") as answer:
                            if answer.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.1)
            yield server
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()
        shutil.rmtree(folder, ignore_errors=True)
