"""/subscribe, /unsubscribe, /settings, and the bot being removed or blocked."""

from __future__ import annotations

import hashlib

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType

from bot.context import Context
from bot.handlers.replies import answer, command_argument, edit, ids, reply, tap
from bot.presentation.callbacks import Action
from bot.presentation.keyboards import forget_keyboard, open_appeals_keyboard, settings_keyboard
from bot.presentation.views import settings_view
from core.errors import BadInputError
from core.timing import COMMON_ZONES

TIMEZONE_USAGE = (
    "/timezone <region/city>, for example /timezone Asia/Almaty or /timezone Europe/Berlin: "
    "reminders of court dates come at your hours."
)


async def _show_settings(
    update: Update, context: Context, *, in_place: bool, changed: bool | None = None
) -> None:
    """Show the settings; ``changed`` says whether a /subscribe just changed anything."""
    chat_id, _ = ids(update)
    if chat_id is None:
        return
    subscriber, countries = await context.bot_data.services.subscriptions.settings(chat_id)
    view = settings_view(subscriber)
    keyboard = settings_keyboard(view, countries)
    values = {"settings": view, "just_subscribed": changed}
    if in_place and await edit(update, context, "settings", keyboard=keyboard, **values):
        return
    await reply(update, context, "settings", keyboard=keyboard, **values)


async def subscribe_command(update: Update, context: Context) -> None:
    """/subscribe: send new appeals to this chat."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return
    _, changed = await context.bot_data.services.subscriptions.subscribe(
        chat_id=chat.id, chat_type=chat.type, language_code=user.language_code if user else None
    )
    await _show_settings(update, context, in_place=False, changed=changed)
    if changed:
        # A new subscriber has missed what is still open: offer it, do not push it.
        open_now = await context.bot_data.services.appeals.open_ids()
        if open_now:
            await reply(
                update, context, "open_offer", keyboard=open_appeals_keyboard(), count=len(open_now)
            )


async def send_open_button(update: Update, context: Context) -> None:
    """The "Send them" button under the offer of open appeals."""
    chat_id, _ = ids(update)
    if chat_id is None:
        await answer(update)
        return
    services = context.bot_data.services
    queued = await services.subscriptions.send_open(chat_id, await services.appeals.open_ids())
    if queued is None:
        await answer(update, "Subscribe first with /subscribe.")
    else:
        await answer(update, f"Sending {queued}." if queued else "You have them all already.")


async def timezone_command(update: Update, context: Context) -> None:
    """/timezone Europe/Berlin: reminders come at this chat's hours."""
    name = command_argument(update)
    chat_id, _ = ids(update)
    if not name or chat_id is None:
        await reply(update, context, "usage", text=TIMEZONE_USAGE)
        return
    try:
        zone = await context.bot_data.services.subscriptions.set_timezone(chat_id, name)
    except BadInputError as exc:
        await reply(update, context, "usage", text=f"{exc}\n{TIMEZONE_USAGE}")
        return
    text = (
        "Subscribe first with /subscribe."
        if zone is None
        else f"Reminders of court dates now come at 18:00 the day before and 08:00 on the day, "
        f"{zone} time."
    )
    await reply(update, context, "usage", text=text)


async def subscribe_button(update: Update, context: Context) -> None:
    """The Subscribe button."""
    await answer(update)
    await subscribe_command(update, context)


async def unsubscribe_command(update: Update, context: Context) -> None:
    """/unsubscribe: stop sending appeals to this chat."""
    chat_id, _ = ids(update)
    if chat_id is None:
        return
    changed = await context.bot_data.services.subscriptions.unsubscribe(chat_id)
    await reply(update, context, "unsubscribed", changed=changed)


async def settings_command(update: Update, context: Context) -> None:
    """/settings: what this chat receives, with buttons to change it."""
    await _show_settings(update, context, in_place=False)


async def settings_button(update: Update, context: Context) -> None:
    """Urgent-only, country and unfollow buttons under the settings."""
    callback = tap(update)
    chat_id, _ = ids(update)
    if chat_id is None:
        await answer(update)
        return
    subscriptions = context.bot_data.services.subscriptions
    changed: bool | None
    if callback.action is Action.SET_URGENT:
        changed = await subscriptions.set_urgent_only(chat_id, urgent_only=callback.flag())
    elif callback.action is Action.SET_COUNTRY:
        changed = await subscriptions.toggle_country(chat_id, callback.args[0])
    elif callback.action is Action.SET_ZONE:
        index = callback.int_arg()
        zone = COMMON_ZONES[index] if index < len(COMMON_ZONES) else None
        changed = zone is not None and await subscriptions.set_timezone(chat_id, zone) is not None
    else:
        changed = await subscriptions.toggle_follow(chat_id, callback.int_arg()) is not None
    await answer(update, None if changed else "Subscribe first with /subscribe.")
    await _show_settings(update, context, in_place=True)


async def membership_changed(update: Update, context: Context) -> None:
    """The bot was removed from a group or blocked: unsubscribe that chat."""
    change = update.my_chat_member
    if change is None:
        return
    if change.new_chat_member.status not in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        return
    blocked = change.chat.type == ChatType.PRIVATE
    await context.bot_data.services.subscriptions.chat_gone(change.chat.id, blocked=blocked)


async def chat_migrated(update: Update, context: Context) -> None:
    """A group became a supergroup: its subscription moves to the new chat id."""
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    await context.bot_data.services.subscriptions.move(message.chat.id, message.migrate_to_chat_id)


async def email_command(update: Update, context: Context) -> None:
    """/email you@example.org: get appeals by email (after confirming the address)."""
    address = command_argument(update)
    email = context.bot_data.services.email
    if not address:
        await reply(update, context, "email_usage", enabled=email.enabled)
        return
    chat_id, _ = ids(update)
    # Counted per chat, by a hash: never the chat id itself.
    key = "tg:" + hashlib.sha256(str(chat_id).encode()).hexdigest()[:16]
    outcome = await email.sign_up(address, sender_key=key)
    await reply(update, context, "email_asked", outcome=outcome.value)


async def forget_command(update: Update, context: Context) -> None:
    """/forget: ask before deleting everything about this chat."""
    await reply(update, context, "forget_ask", keyboard=forget_keyboard())


async def forget_button(update: Update, context: Context) -> None:
    """Delete everything about this chat (or keep it), as the person chose."""
    chat_id, user_id = ids(update)
    if chat_id is None or not tap(update).flag():
        await answer(update, "Nothing was deleted.")
        await edit(update, context, "forget_done", deleted=None)
        return
    deleted = await context.bot_data.services.subscriptions.forget(chat_id=chat_id, user_id=user_id)
    await answer(update)
    await edit(update, context, "forget_done", deleted=deleted)
