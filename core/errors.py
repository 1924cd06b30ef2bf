"""Every error appealbot raises on purpose, in one hierarchy.

AppealbotError
├── BadInputError            input a user or operator can correct (exit code 2)
│   ├── UsageError           the command line itself is wrong
│   ├── ConfigError          settings to fix before the service can start
│   ├── NotFoundError        no such case, appeal or subscriber
│   ├── SeedError            a seed file refused whole, naming field and reason
│   ├── ExtractionError      text that cannot be read as an appeal
│   ├── FetchError           a page that cannot or may not be fetched
│   └── BadUpdateError       a posted webhook body that is not an update; a ValueError
├── BotApiError              a Bot API call that did not go through
│   ├── BotApiUnreachableError   no answer at all (connection, timeout); a ConnectionError
│   ├── BotApiGarbledError       an answer that is not the Bot API's (a proxy's page)
│   └── BotApiRefusedError       Telegram's own error answer, with its code
├── UnsendableAddressError   an address the mail relay cannot take; a ValueError
└── StoppingError          a reply given up because the service is stopping

Each also inherits the built-in error it is, so that code that knows nothing of ours (an
``except ConnectionError``) still treats it right.
"""

from __future__ import annotations

from collections.abc import Sequence


class AppealbotError(Exception):
    """Base of every error appealbot raises on purpose."""


class BadInputError(AppealbotError):
    """Input a user or operator can correct; the message says how.

    The message is a template with ``%(name)s`` fields filled from ``params``, so that the
    presentation layer can say it in the reader's language.
    """

    def __init__(self, message: str = "", /, **params: object) -> None:
        self.template = message
        self.params = params
        super().__init__(message % params if params else message)


class UsageError(BadInputError):
    """The command line itself is wrong."""


class ConfigError(BadInputError):
    """Configuration the operator must fix before the service can start."""


class NotFoundError(BadInputError):
    """A case, appeal or subscriber that does not exist."""


class ExtractionError(BadInputError):
    """The text cannot be read as an appeal; the message says why and what to send."""


class FetchError(ExtractionError):
    """A page that cannot be fetched, or that the fetcher refuses to fetch."""


class SeedError(BadInputError):
    """A seed file that cannot be loaded: each problem names the field and the reason."""

    def __init__(self, *, path: str, problems: Sequence[tuple[str, str]]) -> None:
        self.path = path
        self.problems = list(problems)
        field, reason = self.problems[0]
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        super().__init__(f"{path}: {field}: {reason}{suffix}")


class BotApiError(AppealbotError):
    """A Bot API call that did not go through."""


class BotApiUnreachableError(BotApiError, ConnectionError):
    """No answer: the connection failed, was reset or timed out."""


class BotApiGarbledError(BotApiError):
    """An answer that is not a Bot API answer (cut-off JSON, a proxy's HTML page)."""

    def __init__(self, *, status: int, description: str) -> None:
        super().__init__(f"HTTP {status}: {description}")
        self.status = status


class BotApiRefusedError(BotApiError):
    """Telegram's own error answer: its code, description and parameters."""

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


class UnsendableAddressError(AppealbotError, ValueError):
    """An address the mail relay cannot take (letters beyond ASCII before the @, no SMTPUTF8)."""


class BadUpdateError(BadInputError, ValueError):
    """What was posted to the webhook is not an update the bot can read."""


class StoppingError(AppealbotError):
    """A reply given up because the service is stopping."""

    def __init__(self) -> None:
        super().__init__("the service is stopping")


class AlreadyRunningError(AppealbotError):
    """Another process holds what this one needs: the bot on this database, or the port."""


class DatabaseUnwritableError(AppealbotError, OSError):
    """The database cannot be written: its disk is full, or it was made read-only."""
