"""Who may change a chat's subscription: anyone in a private chat, admins in a group."""

from __future__ import annotations

from telegram import Chat, Update
from telegram.constants import ChatMemberStatus, ChatType

from bot.callbacks import Callback
from bot.context import Context
from bot.handlers.replies import answer, reply, tapped

_ADMIN_STATUSES = {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR}


async def may_manage_chat(update: Update, context: Context) -> bool:
    """Tell whether the sender may change this chat's subscription settings."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return False
    if chat.type == ChatType.PRIVATE:
        return True
    message = update.effective_message
    if message is not None and message.sender_chat is not None:
        # An anonymous group admin writes as the group itself.
        return message.sender_chat.id == chat.id
    if user is None:
        return False
    member = await context.bot.get_chat_member(chat.id, user.id)
    return member.status in _ADMIN_STATUSES


async def ensure_manager(update: Update, context: Context) -> bool:
    """Tell whether the sender may manage the chat; if not, say so (as an alert for buttons)."""
    if await may_manage_chat(update, context):
        return True
    if update.callback_query is not None:
        await answer(update, "Only group admins can change this group's subscription.", alert=True)
    else:
        await reply(update, context, "group_admins_only")
    return False


async def managing_tap(update: Update, context: Context) -> tuple[Callback, Chat] | None:
    """Return the tapped button and its chat if the tapper may change the chat's settings.

    Otherwise the tap is answered (with why, for a group member) and None is returned.
    """
    callback, chat = tapped(update), update.effective_chat
    if callback is None or chat is None:
        await answer(update)
        return None
    if not await ensure_manager(update, context):
        return None
    return callback, chat
