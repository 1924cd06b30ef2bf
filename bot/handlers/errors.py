"""The last line of defence: log the failure, tell the user politely, show no traceback."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.context import Context
from bot.handlers.replies import answer, reply

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    """Log what failed (not who asked) and apologise in the chat."""
    error = context.error
    kind = type(update).__name__ if update is not None else "job"
    log.error("handler failed on %s: %r", kind, error, exc_info=error)
    if not isinstance(update, Update) or isinstance(error, Forbidden):
        return
    try:
        await answer(update)
        await reply(update, context, "error")
    except TelegramError as exc:
        log.warning("could not apologise: %r", exc)
