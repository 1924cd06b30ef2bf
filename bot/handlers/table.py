"""Every command and button the bot answers: one table.

Registration, Telegram's command menus (one for everyone, one for each bot admin) and /help
all come from here. To add a command, add a line below and write its handler.
"""

from __future__ import annotations

from bot.commands import Audience, Button, Command, Shortcut
from bot.handlers import appeals, cases, contacts, info, subscriptions
from bot.handlers.admin import drafting, managing
from bot.presentation.callbacks import Action
from templates.i18n import N_

ANYONE, CHAT_ADMINS, BOT_ADMINS = Audience.ANYONE, Audience.CHAT_ADMINS, Audience.BOT_ADMINS

COMMANDS: tuple[Command, ...] = (
    Command("appeals", "", N_("The latest appeals, urgent ones marked"), appeals.appeals_command),
    Command(
        "case", N_("<name>"), N_("A case: what happened, status, timeline"), cases.case_command
    ),
    Command(
        "contacts", N_("<case or appeal>"), N_("Whom to protest to"), contacts.contacts_command
    ),
    Command(
        "letter", N_("<case or appeal>"), N_("A model protest letter"), contacts.letter_command
    ),
    Command(
        "subscribe",
        "",
        N_("Get new appeals in this chat"),
        subscriptions.subscribe_command,
        CHAT_ADMINS,
    ),
    Command("settings", "", N_("Choose which appeals you get"), subscriptions.settings_command),
    Command(
        "unsubscribe",
        "",
        N_("Stop getting appeals"),
        subscriptions.unsubscribe_command,
        CHAT_ADMINS,
    ),
    Command("email", N_("<address>"), N_("Get appeals by email"), subscriptions.email_command),
    Command(
        "forget",
        "",
        N_("Delete everything this bot knows about this chat"),
        subscriptions.forget_command,
        CHAT_ADMINS,
    ),
    Command(
        "timezone",
        N_("<region/city>"),
        N_("Your time zone, for reminders"),
        subscriptions.timezone_command,
        CHAT_ADMINS,
    ),
    Command(
        "language",
        N_("<en|ru>"),
        N_("The language I answer in"),
        subscriptions.language_command,
        CHAT_ADMINS,
    ),
    Command("start", "", N_("What this bot does"), info.start),
    Command("help", "", N_("Every command, one line each"), info.help_command),
    Command(
        "newappeal",
        "",
        N_("Paste an appeal, review the draft, publish it"),
        drafting.new_appeal,
        BOT_ADMINS,
    ),
    Command("update", N_("<case>"), N_("A follow-up on a case"), drafting.update_case, BOT_ADMINS),
    Command(
        "outcome",
        N_("<case> <status> [text]"),
        N_("Record an outcome, thank protesters"),
        managing.outcome,
        BOT_ADMINS,
    ),
    Command(
        "withdraw",
        N_("<appeal>"),
        N_("Unpublish an appeal, cancel its deliveries"),
        managing.withdraw_appeal,
        BOT_ADMINS,
    ),
    Command(
        "reminders",
        N_("<appeal> on|off"),
        N_("Remind followers of its court dates, or not"),
        managing.reminders,
        BOT_ADMINS,
    ),
    Command(
        "sources",
        N_("[add <address>|remove|pause|resume <n>]"),
        N_("Publishers' feeds followed for new appeals"),
        managing.manage_sources,
        BOT_ADMINS,
    ),
    Command(
        "stats", "", N_("Subscribers, appeals, protests, broadcasts"), managing.stats, BOT_ADMINS
    ),
    Command(
        "admins",
        N_("[add|remove <id>]"),
        N_("Who may use these commands"),
        managing.manage_admins,
        BOT_ADMINS,
    ),
    Command("cancel", "", N_("Throw away the draft you are writing"), drafting.cancel, BOT_ADMINS),
)

BUTTONS: tuple[Button, ...] = (
    Button(Action.CASE, cases.case_button),
    Button(Action.FOLLOW, cases.follow_button, CHAT_ADMINS),
    Button(Action.APPEAL, appeals.appeal_button),
    Button(Action.APPEALS_PAGE, appeals.page_button),
    Button(Action.PROTEST, appeals.protest_button),
    Button(Action.CONTACTS_CASE, contacts.contacts_or_letter_button),
    Button(Action.CONTACTS_APPEAL, contacts.contacts_or_letter_button),
    Button(Action.LETTER_CASE, contacts.contacts_or_letter_button),
    Button(Action.LETTER_APPEAL, contacts.contacts_or_letter_button),
    Button(Action.SUBSCRIBE, subscriptions.subscribe_button, CHAT_ADMINS),
    Button(Action.SEND_OPEN, subscriptions.send_open_button, CHAT_ADMINS),
    Button(Action.FORGET, subscriptions.forget_button, CHAT_ADMINS),
    Button(Action.HELP, info.help_button),
    Button(Action.SET_URGENT, subscriptions.settings_button, CHAT_ADMINS),
    Button(Action.SET_COUNTRY, subscriptions.settings_button, CHAT_ADMINS),
    Button(Action.SET_ZONE, subscriptions.settings_button, CHAT_ADMINS),
    Button(Action.SET_LANGUAGE, subscriptions.language_button, CHAT_ADMINS),
    Button(Action.UNFOLLOW, subscriptions.settings_button, CHAT_ADMINS),
    Button(Action.DRAFT_PUBLISH, drafting.publish_button, BOT_ADMINS, "publish"),
    Button(Action.DRAFT_EDIT, drafting.edit_button, BOT_ADMINS, "edit"),
    Button(Action.DRAFT_FIELD, drafting.field_button, BOT_ADMINS, "edit"),
    Button(Action.DRAFT_BACK, drafting.back_button, BOT_ADMINS, "edit"),
    Button(Action.DRAFT_CANCEL, drafting.cancel_button, BOT_ADMINS, "cancel"),
    Button(Action.DRAFT_TODAY, drafting.today_button, BOT_ADMINS, "edit"),
    Button(Action.SOURCE_DRAFT, drafting.source_draft_button, BOT_ADMINS, "review"),
    Button(Action.RETRY_FAILED, managing.retry_button, BOT_ADMINS, "retry failed"),
    Button(Action.CONFIRM_BROADCAST, managing.confirm_button, BOT_ADMINS, "confirm broadcast"),
)

SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut(appeals.APPEAL_SHORTCUT, appeals.appeal_shortcut),
    Shortcut(contacts.CONTACTS_SHORTCUT, contacts.contacts_shortcut),
    Shortcut(contacts.LETTER_SHORTCUT, contacts.letter_shortcut),
)
