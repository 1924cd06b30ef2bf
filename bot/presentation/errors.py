"""What people are told when something they asked for cannot be done: one place for all."""

from __future__ import annotations

from core.errors import AppealbotError, BadInputError, BotApiError, DatabaseUnwritableError
from templates.i18n import N_, _

APOLOGY = N_("Sorry, something went wrong on our side. Please try again in a minute.")
TELEGRAM_DOWN = N_("Telegram is not answering me properly just now. Please try again in a minute.")
NOT_SAVED = N_(
    "I cannot save anything just now (the bot's storage is full or read-only), so what you "
    "sent was not kept. Please send it again later."
)


def said(error: BadInputError) -> str:
    """Return what a person is told of their input, in their language."""
    translated = _(error.template) if error.template else str(error)
    return translated % error.params if error.params else translated


def user_message(error: BaseException) -> str:
    """Return the polite message for an error (an apology when nobody can act on it)."""
    if isinstance(error, BadInputError):
        return f"⚠️ {said(error)}"
    if isinstance(error, BotApiError):
        return _(TELEGRAM_DOWN)
    if isinstance(error, DatabaseUnwritableError):
        return _(NOT_SAVED)
    return _(APOLOGY)


def is_expected(error: BaseException) -> bool:
    """Tell whether an error is a person's input to correct (logged quietly), not a fault."""
    return isinstance(error, AppealbotError) and isinstance(error, BadInputError)
