"""/subscribe, /unsubscribe, /settings, and the bot being removed or blocked."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType

from bot.callbacks import Action
from bot.context import Context
from bot.handlers.permissions import ensure_manager, managing_tap
from bot.handlers.replies import answer, edit, reply
from bot.keyboards import settings_keyboard
from bot.services import subscriptions
from storage.models import Subscriber


async def _show_settings(
    update: Update, context: Context, *, in_place: bool, changed: bool | None = None
) -> None:
    """Show the settings; ``changed`` says whether a /subscribe just changed anything."""
    chat = update.effective_chat
    if chat is None:
        return
    async with context.bot_data.services.reads() as session:
        subscriber = await subscriptions.settings_of(session, chat.id)
        countries = await subscriptions.available_countries(session)
    keyboard = settings_keyboard(subscriber, countries)
    values = {"subscriber": subscriber, "just_subscribed": changed}
    if in_place and await edit(update, context, "settings", keyboard=keyboard, **values):
        return
    await reply(update, context, "settings", keyboard=keyboard, **values)


async def _subscribe(update: Update, context: Context) -> None:
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return
    if not await ensure_manager(update, context):
        return
    async with context.bot_data.services.sessions.begin() as session:
        _, changed = await subscriptions.subscribe(
            session,
            chat_id=chat.id,
            chat_type=chat.type,
            language_code=user.language_code if user else None,
        )
    await _show_settings(update, context, in_place=False, changed=changed)


async def subscribe_command(update: Update, context: Context) -> None:
    """/subscribe: send new appeals to this chat."""
    await _subscribe(update, context)


async def subscribe_button(update: Update, context: Context) -> None:
    """The Subscribe button."""
    await answer(update)
    await _subscribe(update, context)


async def unsubscribe_command(update: Update, context: Context) -> None:
    """/unsubscribe: stop sending appeals to this chat."""
    chat = update.effective_chat
    if chat is None:
        return
    if not await ensure_manager(update, context):
        return
    async with context.bot_data.services.sessions.begin() as session:
        changed = await subscriptions.unsubscribe(session, chat.id)
    await reply(update, context, "unsubscribed", changed=changed)


async def settings_command(update: Update, context: Context) -> None:
    """/settings: what this chat receives, with buttons to change it."""
    await _show_settings(update, context, in_place=False)


async def settings_button(update: Update, context: Context) -> None:
    """Urgent-only, country and unfollow buttons under the settings."""
    tap = await managing_tap(update, context)
    if tap is None:
        return
    callback, chat = tap
    async with context.bot_data.services.sessions.begin() as session:
        changed: Subscriber | bool | None
        if callback.action is Action.SET_URGENT:
            changed = await subscriptions.set_urgent_only(
                session, chat.id, urgent_only=callback.args[:1] == ("1",)
            )
        elif callback.action is Action.SET_COUNTRY:
            changed = await subscriptions.toggle_country(session, chat.id, callback.args[0])
        else:
            changed = await subscriptions.toggle_follow(session, chat.id, callback.int_arg())
    await answer(update, None if changed is not None else "Subscribe first with /subscribe.")
    await _show_settings(update, context, in_place=True)


async def membership_changed(update: Update, context: Context) -> None:
    """The bot was removed from a group or blocked: unsubscribe that chat."""
    change = update.my_chat_member
    if change is None:
        return
    status = change.new_chat_member.status
    if status not in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        return
    blocked = change.chat.type == ChatType.PRIVATE
    async with context.bot_data.services.sessions.begin() as session:
        await subscriptions.chat_gone(session, change.chat.id, blocked=blocked)


async def chat_migrated(update: Update, context: Context) -> None:
    """A group became a supergroup: its subscription moves to the new chat id."""
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    async with context.bot_data.services.sessions.begin() as session:
        await subscriptions.move(session, message.chat.id, message.migrate_to_chat_id)
