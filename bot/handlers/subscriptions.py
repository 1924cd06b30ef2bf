"""/subscribe, /unsubscribe, /settings, and the bot being removed or blocked."""

from __future__ import annotations

import hashlib

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType

from bot.context import Context
from bot.handlers.replies import answer, command_argument, edit, ids, reply, tap
from bot.presentation.callbacks import Action
from bot.presentation.errors import said
from bot.presentation.keyboards import forget_keyboard, open_appeals_keyboard, settings_keyboard
from bot.presentation.views import settings_view
from core.errors import BadInputError
from core.timing import COMMON_ZONES
from templates.i18n import LANGUAGES, N_, NAMES, _, current, supported, use

TIMEZONE_USAGE = N_(
    "/timezone <region/city>, for example /timezone Asia/Almaty or /timezone Europe/Berlin: "
    "reminders of court dates come at your hours."
)
SUBSCRIBE_FIRST = N_("Subscribe first with /subscribe.")
LANGUAGE_KEY = "language"
"""Where PTB's chat_data keeps the language a chat chose before subscribing (memory only)."""


async def choose_language(update: Update, context: Context) -> None:
    """Answer every update in its chat's language: the one it chose, else the user's own."""
    chat, user = update.effective_chat, update.effective_user
    stored = None
    if chat is not None:
        stored = await context.bot_data.services.subscriptions.language(chat.id)
    use(stored or _chosen(context) or (user.language_code if user else None))


def _chosen(context: Context) -> str | None:
    """Return the language this chat chose while not subscribed (kept in memory only)."""
    return (context.chat_data or {}).get(LANGUAGE_KEY) or None


async def _show_settings(
    update: Update, context: Context, *, in_place: bool, changed: bool | None = None
) -> None:
    """Show the settings; ``changed`` says whether a /subscribe just changed anything."""
    chat_id, __ = ids(update)
    if chat_id is None:
        return
    found, countries = await context.bot_data.services.subscriptions.settings(chat_id)
    view = settings_view(found)
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
    language, changed = await context.bot_data.services.subscriptions.subscribe(
        chat_id=chat.id,
        chat_type=chat.type,
        language_code=_chosen(context) or (user.language_code if user else None),
    )
    use(language)
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
    chat_id, __ = ids(update)
    if chat_id is None:
        await answer(update)
        return
    services = context.bot_data.services
    queued = await services.subscriptions.send_open(chat_id, await services.appeals.open_ids())
    if queued is None:
        await answer(update, _(SUBSCRIBE_FIRST))
    elif queued:
        await answer(update, _("Sending %(count)s.") % {"count": queued})
    else:
        await answer(update, _("You have them all already."))


async def timezone_command(update: Update, context: Context) -> None:
    """/timezone Europe/Berlin: reminders come at this chat's hours."""
    name = command_argument(update)
    chat_id, __ = ids(update)
    if not name or chat_id is None:
        await reply(update, context, "usage", text=_(TIMEZONE_USAGE))
        return
    try:
        zone = await context.bot_data.services.subscriptions.set_timezone(chat_id, name)
    except BadInputError as exc:
        await reply(update, context, "usage", text=f"{said(exc)}\n{_(TIMEZONE_USAGE)}")
        return
    text = (
        _(SUBSCRIBE_FIRST)
        if zone is None
        else _(
            "Reminders of court dates now come at 18:00 the day before and 08:00 on the day, "
            "%(zone)s time."
        )
        % {"zone": zone}
    )
    await reply(update, context, "usage", text=text)


async def language_command(update: Update, context: Context) -> None:
    """/language ru: answer, and send appeals, in this language."""
    chat_id = ids(update)[0]
    wanted = command_argument(update).lower()[:8]
    if chat_id is None:
        return
    if wanted not in LANGUAGES:
        choices = ", ".join(f"/language {code} ({NAMES[code]})" for code in LANGUAGES)
        text = _("Choose a language: %(choices)s") % {"choices": choices}
        await reply(update, context, "usage", text=text)
        return
    await _set_language(context, chat_id, wanted)
    await _show_settings(update, context, in_place=False)


async def language_button(update: Update, context: Context) -> None:
    """A language button under the settings."""
    chat_id = ids(update)[0]
    wanted = tap(update).args[0]
    if chat_id is None or wanted not in LANGUAGES:
        await answer(update)
        return
    await _set_language(context, chat_id, wanted)
    await answer(update)
    await _show_settings(update, context, in_place=True)


async def _set_language(context: Context, chat_id: int, language: str) -> None:
    """Keep a chat's language: stored for a subscriber, else in memory until a restart."""
    await context.bot_data.services.subscriptions.set_language(chat_id, language)
    if context.chat_data is not None:
        context.chat_data[LANGUAGE_KEY] = supported(language)
    use(language)


async def subscribe_button(update: Update, context: Context) -> None:
    """The Subscribe button."""
    await answer(update)
    await subscribe_command(update, context)


async def unsubscribe_command(update: Update, context: Context) -> None:
    """/unsubscribe: stop sending appeals to this chat."""
    chat_id, __ = ids(update)
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
    chat_id, __ = ids(update)
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
    await answer(update, None if changed else _(SUBSCRIBE_FIRST))
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
    chat_id, __ = ids(update)
    # Counted per chat, by a hash: never the chat id itself.
    key = "tg:" + hashlib.sha256(str(chat_id).encode()).hexdigest()[:16]
    outcome = await email.sign_up(address, sender_key=key, language=current(), chat_id=chat_id)
    await reply(update, context, "email_asked", outcome=outcome.value)


async def forget_command(update: Update, context: Context) -> None:
    """/forget: ask before deleting everything about this chat."""
    await reply(update, context, "forget_ask", keyboard=forget_keyboard())


async def forget_button(update: Update, context: Context) -> None:
    """Delete everything about this chat (or keep it), as the person chose."""
    chat_id, user_id = ids(update)
    if chat_id is None or not tap(update).flag():
        await answer(update, _("Nothing was deleted."))
        await edit(update, context, "forget_done", deleted=None)
        return
    deleted = await context.bot_data.services.subscriptions.forget(chat_id=chat_id, user_id=user_id)
    if context.chat_data is not None:
        context.chat_data.pop(LANGUAGE_KEY, None)
    await answer(update)
    await edit(update, context, "forget_done", deleted=deleted)
