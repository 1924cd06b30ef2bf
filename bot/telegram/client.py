"""A lean Bot API client on aiohttp for bulk sending: JSON in, JSON out, typed errors.

PTB builds a full object for every answer; for thousands of sends a second we only need to
know whether each one went through, and if not, why.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import aiohttp

from core.errors import BotApiGarbledError, BotApiRefusedError, BotApiUnreachableError
from core.timing import bounded_wait

_JSON = {"Content-Type": "application/json"}
# Telegram's answer to a message sent: {"ok":true,"result":{"message_id":...
_SENT = re.compile(rb'\{\s*"ok"\s*:\s*true\s*,\s*"result"\s*:\s*\{\s*"message_id"')
_MESSAGE_ID = re.compile(rb'"message_id"\s*:\s*(\d+)')


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
                connector=connector,
                timeout=timeout,
                json_serialize=json.dumps,
                auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept-Encoding"),
            )

    async def close(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, method: str, payload: dict[str, Any]) -> Any:
        """Call a Bot API method and return its result.

        Raises BotApiUnreachableError (no answer), BotApiGarbledError (an answer that is not
        the Bot API's) or BotApiRefusedError (Telegram's own error answer).
        """
        return await self.call_raw(method, json.dumps(payload).encode())

    async def call_raw(self, method: str, body: bytes) -> Any:
        """Call a Bot API method with a JSON body already encoded (the same for many sends)."""
        if self._session is None:
            await self.start()
        assert self._session is not None
        try:
            async with self._session.post(
                self._base + method, data=body, headers=_JSON
            ) as response:
                body = await response.read()
                status = response.status
        except TimeoutError as exc:
            raise BotApiUnreachableError(f"{method}: timed out") from exc
        except aiohttp.ClientError as exc:
            raise BotApiUnreachableError(f"{method}: {type(exc).__name__}") from exc
        if status == 200 and _SENT.match(body):
            # A message sent: its id is all a broadcast needs of the echo.
            found = _MESSAGE_ID.search(body, 0, 200)
            return {"message_id": int(found.group(1))} if found else {}
        return read_answer(status, body)


def read_answer(status: int, body: bytes) -> Any:
    """Return the result of a Bot API answer, or raise what it means."""
    try:
        answer = json.loads(body)
    except ValueError:
        raise BotApiGarbledError(status=status, description="not JSON") from None
    if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
        raise BotApiGarbledError(status=status, description="not a Bot API answer")
    if answer["ok"]:
        if "result" not in answer:
            raise BotApiGarbledError(status=status, description="an answer without a result")
        return answer["result"]
    code = answer.get("error_code")
    if not isinstance(code, int) or isinstance(code, bool) or not 400 <= code <= 599:
        raise BotApiGarbledError(status=status, description="an error without a code")
    parameters = answer.get("parameters")
    parameters = parameters if isinstance(parameters, dict) else {}
    retry_after = parameters.get("retry_after")
    migrate_to = parameters.get("migrate_to_chat_id")
    raise BotApiRefusedError(
        code=code,
        description=str(answer.get("description") or f"HTTP {status}"),
        retry_after=bounded_wait(retry_after) if retry_after is not None else None,
        migrate_to_chat_id=migrate_to if isinstance(migrate_to, int) else None,
    )
