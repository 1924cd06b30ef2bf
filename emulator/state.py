"""What the emulated Telegram knows: chats, users, messages the bot sent, pending updates."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

BOT_USER_ID = 700_000_001
BOT_USERNAME = "appeal_test_bot"


def bot_user() -> dict[str, Any]:
    """Return the bot as a Telegram User object."""
    return {
        "id": BOT_USER_ID,
        "is_bot": True,
        "first_name": "Appeal Bot",
        "username": BOT_USERNAME,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


def user_object(user_id: int, *, language_code: str | None = "en") -> dict[str, Any]:
    """Return a human Telegram User object."""
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
    if language_code:
        user["language_code"] = language_code
    return user


def chat_object(chat_id: int, chat_type: str) -> dict[str, Any]:
    """Return a Telegram Chat object."""
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
    if chat_type == "private":
        chat["first_name"] = f"User{chat_id}"
    elif chat_type == "channel":
        chat["title"] = f"Channel {chat_id}"
    else:
        chat["title"] = f"Group {chat_id}"
    return chat


def chat_type_for(chat_id: int) -> str:
    """Guess the chat type from the id, as Telegram's id ranges do."""
    if chat_id > 0:
        return "private"
    if str(chat_id).startswith("-100"):
        return "supergroup"
    return "group"


@dataclass
class Sent:
    """A message the bot sent, as the chat sees it now (after any edits)."""

    message_id: int
    chat_id: int
    text: str
    html: str
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None
    at: float
    monotonic: float = 0.0
    edits: int = 0
    history: list[str] = field(default_factory=list)
    reply_to: int | None = None

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Return the inline buttons, row after row."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard", [])
        return [button for row in rows for button in row]

    def button(self, label_part: str) -> dict[str, Any]:
        """Return the first button whose label contains the given text."""
        for candidate in self.buttons:
            if label_part.lower() in candidate["text"].lower():
                return candidate
        labels = [candidate["text"] for candidate in self.buttons]
        raise LookupError(f"no button with {label_part!r} among {labels}")

    def as_message(self, chat_type: str) -> dict[str, Any]:
        """Return the Telegram Message object for this message."""
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "from": bot_user(),
            "chat": chat_object(self.chat_id, chat_type),
            "date": int(self.at),
            "text": self.text,
        }
        if self.entities:
            message["entities"] = self.entities
        if self.reply_markup:
            message["reply_markup"] = self.reply_markup
        if self.reply_to is not None:
            message["reply_to_message"] = {
                "message_id": self.reply_to,
                "date": int(self.at),
                "chat": chat_object(self.chat_id, chat_type),
            }
        return message


@dataclass
class Counters:
    """What happened, for assertions and benchmarks."""

    calls: Counter[str] = field(default_factory=Counter)
    delivered: int = 0
    duplicates: int = 0
    http_429: int = 0
    http_5xx: int = 0
    timeouts: int = 0
    forbidden: int = 0
    bad_requests: int = 0
    paid: int = 0
    garbled: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Return the counters as plain JSON."""
        return {
            "calls": dict(self.calls),
            "delivered": self.delivered,
            "duplicates": self.duplicates,
            "http_429": self.http_429,
            "http_5xx": self.http_5xx,
            "timeouts": self.timeouts,
            "forbidden": self.forbidden,
            "bad_requests": self.bad_requests,
            "paid": self.paid,
            "garbled": self.garbled,
        }


class World:
    """Chats, messages and updates; all in memory, for one emulator."""

    def __init__(self) -> None:
        self.message_ids = itertools.count(1)
        self.update_ids = itertools.count(1)
        self.callback_ids = itertools.count(1)
        self.messages: dict[int, list[Sent]] = defaultdict(list)
        self.by_id: dict[tuple[int, int], Sent] = {}
        self.seen_texts: set[tuple[int, int]] = set()
        self.updates: list[dict[str, Any]] = []
        self.last_update_id = 0
        self.new_update = asyncio.Event()
        self.blocked: dict[int, str] = {}
        self.migrated: dict[int, int] = {}
        self.chat_types: dict[int, str] = {}
        self.admins: dict[int, set[int]] = defaultdict(set)
        self.commands: list[dict[str, str]] = []
        self.scoped_commands: dict[str, list[dict[str, str]]] = {}
        # The language_code of each user who wrote (their taps carry the same one).
        self.user_languages: dict[int, str | None] = {}
        # Lists for one language in a scope (setMyCommands with a language_code).
        self.language_commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.usernames: dict[str, int] = {}
        self.posting: set[int] = set()  # channels where the bot is an admin
        self.refused: list[tuple[int, float]] = []  # (chat id, when) of each 429
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.counters = Counters()
        self.activity = asyncio.Event()
        self.webhook: dict[str, Any] | None = None  # set by setWebhook: url, secret_token

    def chat_type(self, chat_id: int) -> str:
        """Return the type of a chat, registering it on first sight."""
        return self.chat_types.setdefault(chat_id, chat_type_for(chat_id))

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates and return its id."""
        update_id = next(self.update_ids)
        self.last_update_id = update_id
        update["update_id"] = update_id
        self.updates.append(update)
        self.new_update.set()
        return update_id

    def record(
        self,
        *,
        chat_id: int,
        text: str,
        html: str,
        entities: list[dict[str, Any]],
        reply_markup: dict[str, Any] | None,
        reply_to: int | None = None,
    ) -> Sent:
        """Store a message the bot sent."""
        sent = Sent(
            message_id=next(self.message_ids),
            chat_id=chat_id,
            text=text,
            html=html,
            entities=entities,
            reply_markup=reply_markup,
            at=time.time(),
            monotonic=time.monotonic(),
            reply_to=reply_to,
        )
        self.messages[chat_id].append(sent)
        self.by_id[(chat_id, sent.message_id)] = sent
        fingerprint = (chat_id, hash(text))
        if fingerprint in self.seen_texts:
            self.counters.duplicates += 1
        else:
            self.seen_texts.add(fingerprint)
        self.counters.delivered += 1
        self.activity.set()
        return sent
