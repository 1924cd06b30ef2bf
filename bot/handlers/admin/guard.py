"""Admin commands answer admins only, in private chats; every refusal is audited."""

from __future__ import annotations

import functools
from collections.abc import Callable

from telegram import Update
from telegram.constants import ChatType

from bot.context import Context, HandlerCallback
from bot.handlers.replies import answer, reply
from bot.services.admins import is_admin, refuse

Handler = HandlerCallback


def admin_only(command: str) -> Callable[[Handler], Handler]:
    """Run the handler for admins in a private chat; tell anyone else it is for admins."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def checked(update: Update, context: Context) -> None:
            user, chat = update.effective_user, update.effective_chat
            services = context.bot_data.services
            async with services.sessions.begin() as session:
                allowed = await is_admin(session, services.settings, user.id if user else None)
                if not allowed:
                    await refuse(session, user_id=user.id if user else None, command=command)
            if not allowed:
                if update.callback_query is not None:
                    await answer(update, "This is for admins.", alert=True)
                else:
                    await reply(update, context, "admins_only")
                return
            if chat is not None and chat.type != ChatType.PRIVATE:
                await answer(update)
                await reply(update, context, "admin_private_only")
                return
            await handler(update, context)

        return checked

    return wrap
