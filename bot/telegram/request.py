"""PTB's requests over aiohttp instead of httpx: the same contract, less work per call.

Answers are checked before PTB reads them: a body that is not a Bot API answer (a proxy's
page, cut-off JSON, a list where an object belongs) becomes a NetworkError, which PTB and our
rate limiter treat as temporary, instead of an exception PTB would loop on.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

import aiohttp
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

from core.timing import bounded_wait

# A timeout as PTB passes it: seconds, None, or its "not given" default (whose type PTB keeps
# in a private module; the value is public, BaseRequest.DEFAULT_NONE).
Timeout = object
log = logging.getLogger(__name__)


def _not_an_answer(what: str) -> NetworkError:
    return NetworkError(f"the Bot API answered with {what}")


def check_success(url: str, body: bytes) -> None:
    """Raise NetworkError unless a 2xx body is a Bot API answer with a result."""
    try:
        answer = json.loads(body)
    except ValueError:
        raise _not_an_answer("something that is not JSON") from None
    if not isinstance(answer, dict) or answer.get("ok") is not True or "result" not in answer:
        raise _not_an_answer("JSON that is not a Bot API answer")
    if url.endswith("/getUpdates"):
        updates = answer["result"]
        if not isinstance(updates, list) or not all(
            isinstance(update, dict) and isinstance(update.get("update_id"), int)
            for update in updates
        ):
            raise _not_an_answer("a getUpdates result that is not a list of updates")


class PollingHealth:
    """Log a failing getUpdates once when it starts failing and once when it recovers."""

    def __init__(self) -> None:
        self.failures = 0

    def failed(self, error: TelegramError) -> None:
        """Count a failed poll (PTB then waits longer before the next, up to 30 s)."""
        if self.failures == 0:
            log.warning("polling for updates failed (%s); retrying with backoff", error)
        self.failures += 1

    def succeeded(self) -> None:
        """Note a good poll; end the episode of failures, if there was one."""
        if self.failures:
            log.warning("polling for updates works again after %d failures", self.failures)
            self.failures = 0


class AiohttpRequest(BaseRequest):
    """PTB request over one aiohttp session (PTB keeps one for getUpdates, one for the rest)."""

    def __init__(
        self,
        *,
        connections: int = 32,
        read_timeout: float | None = 10.0,
        connect_timeout: float | None = 10.0,
        write_timeout: float | None = 10.0,
        health: PollingHealth | None = None,
    ) -> None:
        self._connections = connections
        self._health = health
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._write_timeout = write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        """Parse an answer's JSON (PTB would log the whole body of a bad one, every time)."""
        try:
            answer = json.loads(payload.decode("utf-8", "replace"))
        except ValueError:
            raise _not_an_answer("something that is not JSON") from None
        if not isinstance(answer, dict):
            raise _not_an_answer("JSON that is not a Bot API answer")
        parameters = answer.get("parameters")
        if isinstance(parameters, dict) and "retry_after" in parameters:
            # An absurd wait (10**15 s) would overflow PTB's timedelta, and its error handler
            # with it: every request of ours waits at most what the delivery engine does.
            parameters["retry_after"] = math.ceil(bounded_wait(parameters["retry_after"]))
        return answer

    def _pick(self, value: Timeout, default: float | None) -> float | None:
        if value is None or isinstance(value, int | float):
            return value
        return default  # BaseRequest.DEFAULT_NONE: not given

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        write_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        connect_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        pool_timeout: Timeout = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None:
            raise RuntimeError("AiohttpRequest used before initialize()")
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=self._pick(connect_timeout, self._connect_timeout),
            sock_read=self._pick(read_timeout, self._read_timeout),
        )
        data: Any = None
        if request_data is not None:
            if request_data.contains_files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, upload in request_data.multipart_data.items():
                    filename, content, mime = upload[0], upload[1], upload[2]
                    form.add_field(name, content, filename=filename, content_type=mime)
                data = form
            else:
                data = request_data.json_parameters
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as response:
                status, body = response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
        if 200 <= status <= 299:
            check_success(url, body)
            if self._health is not None:
                self._health.succeeded()
        return status, body
