"""The commands the bot answers, with the one line /help and Telegram's menu show."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    usage: str
    description: str


PUBLIC_COMMANDS: tuple[Command, ...] = (
    Command("appeals", "/appeals", "The latest appeals, urgent ones marked"),
    Command("case", "/case <name>", "A case: what happened, status, timeline"),
    Command("contacts", "/contacts <case or appeal>", "Whom to protest to"),
    Command("letter", "/letter <case or appeal>", "A model protest letter"),
    Command("subscribe", "/subscribe", "Get new appeals in this chat"),
    Command("settings", "/settings", "Choose which appeals you get"),
    Command("unsubscribe", "/unsubscribe", "Stop getting appeals"),
    Command("start", "/start", "What this bot does"),
    Command("help", "/help", "Every command, one line each"),
)

ADMIN_COMMANDS: tuple[Command, ...] = (
    Command("newappeal", "/newappeal", "Paste an appeal, review the draft, publish it"),
    Command("update", "/update <case>", "A follow-up on a case"),
    Command("outcome", "/outcome <case> <status> [text]", "Record an outcome, thank protesters"),
    Command("withdraw", "/withdraw <appeal>", "Unpublish an appeal, cancel its deliveries"),
    Command("stats", "/stats", "Subscribers, appeals, protests, broadcasts"),
    Command("admins", "/admins [add|remove <id>]", "Who may use these commands"),
    Command("cancel", "/cancel", "Throw away the draft you are writing"),
)
