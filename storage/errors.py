"""Errors raised by the storage layer."""

from __future__ import annotations

from collections.abc import Sequence


class AppealbotError(Exception):
    """Base of every error appealbot raises on purpose."""


class BadInputError(AppealbotError):
    """Input a user or operator can correct; the message says how."""


class NotFoundError(BadInputError):
    """A case, appeal or subscriber that does not exist."""


class SeedError(BadInputError):
    """A seed file that cannot be loaded: each problem names the field and the reason."""

    def __init__(self, *, path: str, problems: Sequence[tuple[str, str]]) -> None:
        self.path = path
        self.problems = list(problems)
        field, reason = self.problems[0]
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        super().__init__(f"{path}: {field}: {reason}{suffix}")
