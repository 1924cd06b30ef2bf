"""Send, edit and answer: rendered templates out to Telegram."""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import Context
from bot.presentation.callbacks import Callback, parse
from bot.presentation.keyboards import cases_keyboard
from bot.presentation.views import CaseLink
from bot.services.references import Meant, Resolution

log = logging.getLogger(__name__)


def command_argument(update: Update) -> str:
    """Return what follows the command (/case <this>), keeping spaces inside it."""
    message = update.effective_message
    text = (message.text or "") if message else ""
    __, __, rest = text.partition(" ")
    if not rest and "\n" in text:
        __, __, rest = text.partition("\n")
    return rest.strip()


def ids(update: Update) -> tuple[int | None, int | None]:
    """Return the ids of the chat and the user of an update."""
    chat, user = update.effective_chat, update.effective_user
    return (chat.id if chat else None), (user.id if user else None)


async def reply(
    update: Update,
    context: Context,
    template: str,
    *,
    keyboard: InlineKeyboardMarkup | None = None,
    **values: Any,
) -> list[Message]:
    """Render ``telegram/<template>.html.j2`` and send it to the chat of the update.

    A long text goes out as several messages; buttons go with the last one.
    """
    chat = update.effective_chat
    if chat is None:
        return []
    parts = context.bot_data.presenter.telegram(template, **values)
    sent = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        sent.append(
            await context.bot.send_message(
                chat.id,
                part,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard if last else None,
                disable_web_page_preview=True,
            )
        )
    return sent


async def reply_missing(
    update: Update, context: Context, resolution: Resolution, *, command: str = "case"
) -> None:
    """Answer a reference that found no single case or appeal: why, and what to try."""
    found = resolution.found
    if found is Meant.TOO_LONG:
        await reply(update, context, "too_long", command=command)
    elif found is Meant.WITHDRAWN or resolution.as_appeal:
        await reply(
            update,
            context,
            "appeal_missing",
            appeal_id=resolution.query,
            withdrawn=found is Meant.WITHDRAWN,
        )
    elif found is Meant.CHOOSE:
        choices = resolution.choices
        links = [CaseLink(choice.case_id, choice.case_name) for choice in choices]
        await reply(
            update,
            context,
            "case_pick",
            query=resolution.query,
            choices=choices,
            keyboard=cases_keyboard(links),
        )
    else:
        await reply(update, context, "case_none", query=resolution.query)


async def edit(
    update: Update,
    context: Context,
    template: str,
    *,
    keyboard: InlineKeyboardMarkup | None = None,
    **values: Any,
) -> bool:
    """Replace the text of the message whose button was tapped; False if it cannot be."""
    query = update.callback_query
    message = query.message if query else None
    if not isinstance(message, Message):
        return False
    parts = context.bot_data.presenter.telegram(template, **values)
    if len(parts) != 1:
        return False
    try:
        await message.edit_text(
            parts[0],
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard,
            disable_web_page_preview=True,
        )
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise
    return True


async def edit_keyboard(update: Update, keyboard: InlineKeyboardMarkup | None) -> None:
    """Replace the buttons of the message whose button was tapped."""
    query = update.callback_query
    message = query.message if query else None
    if not isinstance(message, Message):
        return
    try:
        await message.edit_reply_markup(reply_markup=keyboard)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def answer(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Answer the tapped button (stops the spinner), with an optional short notice."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer(text, show_alert=alert)
    except BadRequest as exc:
        # Answering too late ("query is too old") must not hide what was done.
        log.info("could not answer a callback query: %s", exc)


def tapped(update: Update) -> Callback | None:
    """Return the decoded data of the button that was tapped."""
    query = update.callback_query
    return parse(query.data if query else None)


def tap(update: Update) -> Callback:
    """Return the tapped button's data (registration checked it before the handler ran)."""
    callback = tapped(update)
    if callback is None:
        raise LookupError("a button handler ran without valid callback data")
    return callback
