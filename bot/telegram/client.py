"""A lean Bot API client on aiohttp for bulk sending: JSON in, JSON out, typed errors.

PTB builds a full object for every answer; for thousands of sends a second we only need to
know whether each one went through, and if not, why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp


class BotApiError(Exception):
    """Telegram answered with an error."""

    def __init__(
        self,
        *,
        code: int,
        description: str,
        retry_after: float | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id


class BotApiUnreachableError(Exception):
    """No answer: the connection failed or timed out."""


@dataclass(frozen=True, slots=True)
class ClientOptions:
    timeout: float = 15.0
    connections: int = 100


class BotApiClient:
    """Calls ``{root}/bot{token}/{method}``; never logs the URL, which holds the token."""

    def __init__(self, *, api_root: str, token: str, options: ClientOptions | None = None) -> None:
        self._base = f"{api_root.rstrip('/')}/bot{token}/"
        self._options = options or ClientOptions()
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the connection pool."""
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._options.connections, ttl_dns_cache=300)
            timeout = aiohttp.ClientTimeout(total=self._options.timeout)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=timeout, json_serialize=json.dumps
            )

    async def close(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, method: str, payload: dict[str, Any]) -> Any:
        """Call a Bot API method and return its result, or raise BotApiError/Unreachable."""
        if self._session is None:
            await self.start()
        assert self._session is not None
        try:
            async with self._session.post(self._base + method, json=payload) as response:
                body = await response.read()
                status = response.status
        except TimeoutError as exc:
            raise BotApiUnreachableError(f"{method}: timed out") from exc
        except aiohttp.ClientError as exc:
            raise BotApiUnreachableError(f"{method}: {type(exc).__name__}") from exc
        try:
            answer = json.loads(body)
        except ValueError:
            raise BotApiError(code=status, description=f"HTTP {status}, not JSON") from None
        if answer.get("ok"):
            return answer.get("result")
        parameters = answer.get("parameters") or {}
        raise BotApiError(
            code=int(answer.get("error_code") or status),
            description=str(answer.get("description") or f"HTTP {status}"),
            retry_after=parameters.get("retry_after"),
            migrate_to_chat_id=parameters.get("migrate_to_chat_id"),
        )
