"""Send rendered templates as replies."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode

from bot.context import Context


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
    parts = context.bot_data.services.templates.telegram(template, **values)
    sent = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        sent.append(
            await context.bot.send_message(
                chat.id,
                part,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard if last else None,
                link_preview_options=None,
            )
        )
    return sent
