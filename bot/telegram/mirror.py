"""The channel mirror: a Telegram channel (the bot an admin in it) that gets every appeal.

One channel post reaches every member, however many: the way past 30 messages a second.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from core.errors import BotApiError

log = logging.getLogger(__name__)

Call = Callable[[str, dict[str, Any]], Awaitable[Any]]


@dataclass
class ChannelMirror:
    """The configured channel, and (once resolved) its chat id and public link."""

    reference: str | None
    chat_id: int | None = None
    link: str | None = None

    @property
    def configured(self) -> bool:
        """Tell whether the operator named a channel."""
        return bool(self.reference)

    async def resolve(self, call: Call) -> bool:
        """Ask the Bot API for the channel's id and link; False (and a warning) if it fails."""
        if not self.reference or self.chat_id is not None:
            return self.chat_id is not None
        try:
            chat = await call("getChat", {"chat_id": self.reference})
        except BotApiError as exc:
            log.warning("the channel in APPEALBOT_TELEGRAM_CHANNEL cannot be used: %s", exc)
            return False
        self.chat_id = int(chat["id"])
        username = chat.get("username")
        self.link = f"https://t.me/{username}" if username else chat.get("invite_link")
        return True
