"""The commands the bot answers, with the one line /help and Telegram's menu show."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    usage: str
    description: str


PUBLIC_COMMANDS: tuple[Command, ...] = (
    Command("start", "/start", "What this bot does"),
    Command("help", "/help", "Every command, one line each"),
)
