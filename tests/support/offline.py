"""The in-process tier: the real handlers and services, with updates built in memory and a
request class that never touches the network (as PTB's own tests do, in tests/auxil).

Every Bot API call the bot makes is answered here as Telegram answers it, and each message
is checked as Telegram checks it (its HTML, its length), with the emulator's own checker;
nothing is rate-limited by a server, so a test that reads many replies takes no longer than
its work. Flows that depend on Telegram's limits, webhooks or outages stay end to end, through
the emulator.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram import Update
from telegram.request import BaseRequest, RequestData

from bot.app import Overrides, build_application
from bot.context import AppType
from bot.telegram.flood import FloodLimits
from emulator.state import Sent, bot_user, chat_object
from emulator.telegram_html import check_text
from tests.support.app import app_for

# Our own flood limiter still runs; its limits are not what these tests are about.
UNHURRIED = FloodLimits(global_rate=10_000.0, chat_burst=10_000, group_per_minute=10_000)


class OfflineRequest(BaseRequest):
    """Answer every Bot API call in memory and keep the messages each chat was sent."""

    def __init__(self) -> None:
        self.chats: dict[int, list[Sent]] = {}
        self.calls: list[str] = []
        self.answers: dict[str, dict[str, Any]] = {}  # answerCallbackQuery, by query id
        self._ids = itertools.count(1)

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        self.calls.append(name)
        params = dict(request_data.parameters) if request_data is not None else {}
        try:
            result = self._answer(name, params)
        except ValueError as exc:
            body = {"ok": False, "error_code": 400, "description": str(exc)}
            return 400, json.dumps(body).encode()
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _sent(self, params: dict[str, Any]) -> Sent:
        """Return the message an edit names."""
        chat = self.chats.get(int(params["chat_id"]), [])
        return next(m for m in chat if m.message_id == params["message_id"])

    def _answer(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return bot_user()
        if name == "sendMessage":
            chat_id = int(params["chat_id"])
            text, entities = check_text(str(params["text"]), parse_mode=params.get("parse_mode"))
            sent = Sent(
                message_id=next(self._ids),
                chat_id=chat_id,
                text=text,
                html=str(params["text"]),
                entities=entities,
                reply_markup=params.get("reply_markup"),
                at=time.time(),
            )
            self.chats.setdefault(chat_id, []).append(sent)
            return sent.as_message("private" if chat_id > 0 else "group")
        if name == "editMessageText":
            found = self._sent(params)
            if found.html == str(params["text"]) and found.reply_markup == params.get(
                "reply_markup"
            ):
                # Telegram refuses an edit that changes nothing.
                raise ValueError("Bad Request: message is not modified")
            found.text, found.entities = check_text(
                str(params["text"]), parse_mode=params.get("parse_mode")
            )
            found.html = str(params["text"])
            found.reply_markup = params.get("reply_markup")
            found.edits += 1
            return found.as_message("private" if found.chat_id > 0 else "group")
        if name == "editMessageReplyMarkup":
            found = self._sent(params)
            found.reply_markup = params.get("reply_markup")
            found.edits += 1
            return found.as_message("private" if found.chat_id > 0 else "group")
        if name == "answerCallbackQuery":
            self.answers[str(params["callback_query_id"])] = params
        return True  # answerCallbackQuery, setMyCommands, sendChatAction, …


class OfflineChats:
    """Write to the bot as people do; read what it answered."""

    def __init__(self, application: AppType, request: OfflineRequest) -> None:
        self.application = application
        self.request = request
        self._updates = itertools.count(1)

    async def converse(
        self,
        chat_id: int,
        text: str,
        *,
        language_code: str | None = "en",
        user_id: int | None = None,
        chat_type: str = "private",
    ) -> list[Sent]:
        """Write ``text`` in a chat (as ``user_id``, by default the chat's own user); return
        what the bot answered to it."""
        before = len(self.request.chats.get(chat_id, []))
        message: dict[str, Any] = {
            "message_id": next(self._updates),
            "date": int(time.time()),
            "chat": chat_object(chat_id, chat_type),
            "from": {
                "id": user_id if user_id is not None else chat_id,
                "is_bot": False,
                "first_name": f"User{chat_id}",
                **({"language_code": language_code} if language_code else {}),
            },
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        update = Update.de_json(
            {"update_id": next(self._updates), "message": message}, self.application.bot
        )
        await self.application.process_update(update)
        return self.request.chats.get(chat_id, [])[before:]

    async def tap(self, message: Sent, label: str) -> dict[str, Any]:
        """Tap the inline button whose label holds ``label``; return how the tap was
        answered (the message, if edited, is edited in place)."""
        button = message.button(label)
        query_id = str(next(self._updates))
        query = {
            "id": query_id,
            "from": {"id": message.chat_id, "is_bot": False, "first_name": "Reader"},
            "message": message.as_message("private" if message.chat_id > 0 else "group"),
            "chat_instance": str(message.chat_id),
            "data": button["callback_data"],
        }
        update = Update.de_json(
            {"update_id": next(self._updates), "callback_query": query}, self.application.bot
        )
        await self.application.process_update(update)
        return self.request.answers.get(query_id, {})


@asynccontextmanager
async def offline_bot(database_url: str, **settings: Any) -> AsyncIterator[OfflineChats]:
    """Run the whole service over a database, with the bot offline."""
    async with app_for(database_url, overrides=Overrides(limits=UNHURRIED), **settings) as app:
        request = OfflineRequest()
        application = build_application(app, requests=(request, OfflineRequest()))
        await application.initialize()
        await application.start()
        try:
            yield OfflineChats(application, request)
        finally:
            await application.stop()
            await application.shutdown()
