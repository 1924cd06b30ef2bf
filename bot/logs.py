"""Logging set-up that never writes a token, a password, an address or a raw chat id."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

from core.pseudonyms import Pseudonyms

REDACTED = "[redacted]"
ADDRESS = "[address]"
_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
# Chat and user ids are long integers (group ids negative); row ids, counts and waits are
# shorter. Any integer of eight digits or more is taken for an id; one of five to seven
# digits only where it is named as one ("chat_id=…", "'id': …", "user …").
_LONG_ID = re.compile(r"(?<![\w.#])-?\d{8,}(?![\w.])")
_NAMED_ID = re.compile(
    r"(?i)(\b(?:chat|user|from|sender|peer|subscriber|id)(?:_id)?['\"]?\s*[:=]?\s*)"
    r"(-?\d{5,7})(?![\w.])"
)
# Libraries that at DEBUG write whole updates (names, chat ids, texts) or SQL parameters:
# they stay at INFO whatever level is asked for.
_CHATTY = ("telegram", "aiosqlite", "asyncio", "aiosmtplib", "mail.log")
# SQLAlchemy logs every statement with its parameters at INFO.
_SILENT = ("sqlalchemy",)
_QUIET = ("httpx", "httpcore", "apscheduler", "aiohttp.access")


class RedactSecrets(logging.Filter):
    """Replace known secrets in every log line, whichever library wrote it."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [secret for secret in secrets if secret and len(secret) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self._secrets:
            redacted = redacted.replace(secret, REDACTED)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class RedactPeople(logging.Filter):
    """Replace email addresses, and long ids by a keyed hash (the same id, the same hash)."""

    def __init__(self, pseudonyms: Pseudonyms) -> None:
        super().__init__()
        self._pseudonyms = pseudonyms

    def _scrub(self, text: str) -> str:
        text = _EMAIL.sub(ADDRESS, text)
        text = _LONG_ID.sub(lambda m: self._pseudonyms.for_log(m.group(0)), text)
        return _NAMED_ID.sub(lambda m: m.group(1) + self._pseudonyms.for_log(m.group(2)), text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._scrub(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._scrub(record.exc_text)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the error, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        event = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            event["error"] = record.exc_text
        return json.dumps(event, ensure_ascii=False)


def configure_logging(
    *,
    secrets: Iterable[str],
    level: int = logging.INFO,
    pseudonyms: Pseudonyms | None = None,
    json_lines: bool = False,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Log to stderr (or ``stream``); keep chatty libraries quiet, secrets and people out."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.addFilter(RedactSecrets(secrets))
    if pseudonyms is not None:
        handler.addFilter(RedactPeople(pseudonyms))
    logging.getLogger().handlers[:] = [handler]
    set_level(level)
    return handler


def set_level(level: int) -> None:
    """Log from ``level`` up; libraries that write people's data at DEBUG stay at INFO."""
    logging.getLogger().setLevel(level)
    for chatty in _CHATTY:
        logging.getLogger(chatty).setLevel(max(level, logging.INFO))
    # httpx logs every request URL, and Bot API URLs contain the token.
    for noisy in (*_QUIET, *_SILENT):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class Repeating:
    """Log a failure that repeats (a full disk, a database away) once, with its traceback,
    then at most once every ``every`` seconds with how often it happened meanwhile: a storm
    of the same error must not fill the disk it may be about."""

    def __init__(self, logger: logging.Logger, *, every: float = 60.0) -> None:
        self._log = logger
        self._every = every
        self._last: float | None = None
        self._since = 0

    def failed(self, message: str, *args: object, now: float) -> None:
        """Note one more failure (``now``: monotonic seconds)."""
        if self._last is None:
            self._log.exception(message, *args)
            self._last, self._since = now, 0
        elif now - self._last >= self._every:
            self._log.error(message + " (%d more times since)", *args, self._since + 1)
            self._last, self._since = now, 0
        else:
            self._since += 1

    def recovered(self, message: str, *args: object) -> None:
        """Note that it works again (said once, if it had failed)."""
        if self._last is not None:
            self._log.warning(message, *args)
        self._last, self._since = None, 0
