"""The last line of defence: log the failure, tell the user politely, show no traceback."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.context import Context
from bot.handlers.replies import answer
from bot.presentation.errors import is_expected, user_message
from core.errors import StoppingError

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    """Log what failed (not who asked), tell the chat, and let no other handler answer too."""
    error = context.error
    kind = type(update).__name__ if update is not None else "job"
    if isinstance(error, StoppingError):
        log.info("a reply was given up: the service is stopping")
        raise ApplicationHandlerStop
    if error is not None and is_expected(error):
        log.info("refused on %s: %s", kind, error)
    else:
        log.error("handler failed on %s: %r", kind, error, exc_info=error)
    if not isinstance(update, Update) or isinstance(error, Forbidden) or error is None:
        return
    chat = update.effective_chat
    try:
        await answer(update)
        if chat is not None:
            await context.bot.send_message(chat.id, user_message(error))
    except TelegramError as exc:
        log.warning("could not tell the chat: %r", exc)
    raise ApplicationHandlerStop
