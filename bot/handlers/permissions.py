"""Who may do what: group admins for a group's settings, bot admins for admin commands.

Registration wraps each handler by the audience the command table gives it, so no handler
checks rights itself.
"""

from __future__ import annotations

import functools

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType

from bot.commands import Audience
from bot.context import Context, HandlerCallback
from bot.handlers import menus
from bot.handlers.replies import answer, reply
from templates.i18n import _

_ADMIN_STATUSES = {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR}
_MENU_GIVEN = "admin menu given"


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


def chat_admins_only(handler: HandlerCallback) -> HandlerCallback:
    """Run the handler for whoever may manage the chat; tell others why not."""

    @functools.wraps(handler)
    async def checked(update: Update, context: Context) -> None:
        if await may_manage_chat(update, context):
            await handler(update, context)
        elif update.callback_query is not None:
            await answer(
                update, _("Only group admins can change this group's subscription."), alert=True
            )
        else:
            await reply(update, context, "group_admins_only")

    return checked


def bot_admins_only(handler: HandlerCallback, command: str) -> HandlerCallback:
    """Run the handler for bot admins in a private chat; anyone else is told (and audited)."""

    @functools.wraps(handler)
    async def checked(update: Update, context: Context) -> None:
        user, chat = update.effective_user, update.effective_chat
        admins = context.bot_data.services.admins
        if not await admins.check(user.id if user else None, command):
            if update.callback_query is not None:
                await answer(update, _("This is for admins."), alert=True)
            else:
                await reply(update, context, "admins_only")
            return
        if chat is not None and chat.type != ChatType.PRIVATE:
            await answer(update)
            await reply(update, context, "admin_private_only")
            return
        # An admin's own menu can only be set once they have a chat with the bot.
        given = context.user_data is None or context.user_data.get(_MENU_GIVEN)
        if user is not None and context.user_data is not None and not given:
            context.user_data[_MENU_GIVEN] = True
            context.application.create_task(
                menus.admin_changed(context.bot, user.id, is_admin=True)
            )
        await handler(update, context)

    return checked


def for_audience(handler: HandlerCallback, audience: Audience, name: str) -> HandlerCallback:
    """Wrap a handler with the check its audience needs."""
    if audience is Audience.BOT_ADMINS:
        return bot_admins_only(handler, name)
    if audience is Audience.CHAT_ADMINS:
        return chat_admins_only(handler)
    return handler
