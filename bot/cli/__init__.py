"""The ``appealbot`` command line. Exit codes: 0 ok, 2 bad usage or input, 1 anything else."""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import io
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot.app import build_pseudonyms
from bot.cli.parser import build_parser
from bot.config import LogFormat, Settings
from bot.logs import configure_logging
from core.errors import AppealbotError, BadInputError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "APPEALBOT_" + "_".join(str(part) for part in first["loc"]).upper()
        raise BadInputError(f"{name}: {first['msg']}") from None


def _secrets(settings: Settings) -> list[str]:
    values = [settings.telegram_token, settings.smtp_password, settings.secret_key]
    return [value.get_secret_value() for value in values if value is not None]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code."""
    # A fatal signal (SIGBUS when the disk under SQLite's memory-mapped index turns
    # read-only, SIGSEGV) still leaves a trace on stderr of where it struck.
    with contextlib.suppress(ValueError, io.UnsupportedOperation):  # stderr without a file
        faulthandler.enable()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        settings = _settings()
        configure_logging(
            secrets=_secrets(settings),
            level=logging.WARNING,
            pseudonyms=build_pseudonyms(settings),
            json_lines=settings.log_format is LogFormat.JSON,
        )
        return int(asyncio.run(args.handler(settings, args)) or EXIT_OK)
    except BadInputError as exc:
        print(f"appealbot: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except AppealbotError as exc:
        print(f"appealbot: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_FAILURE
    except Exception as exc:
        logging.getLogger("appealbot").debug("command failed", exc_info=True)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"appealbot: {type(exc).__name__}: {reason}", file=sys.stderr)
        return EXIT_FAILURE
