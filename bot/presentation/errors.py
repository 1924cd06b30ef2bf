"""What people are told when something they asked for cannot be done: one place for all."""

from __future__ import annotations

from core.errors import AppealbotError, BadInputError, BotApiError

APOLOGY = "Sorry, something went wrong on our side. Please try again in a minute."
TELEGRAM_DOWN = "Telegram is not answering me properly just now. Please try again in a minute."


def user_message(error: BaseException) -> str:
    """Return the polite message for an error (an apology when nobody can act on it)."""
    if isinstance(error, BadInputError):
        return f"⚠️ {error}"
    if isinstance(error, BotApiError):
        return TELEGRAM_DOWN
    return APOLOGY


def is_expected(error: BaseException) -> bool:
    """Tell whether an error is a person's input to correct (logged quietly), not a fault."""
    return isinstance(error, AppealbotError) and isinstance(error, BadInputError)
