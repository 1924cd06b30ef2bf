"""The emulator's test side: read what the bot sent, and wait for it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from emulator.state import Sent, World
from emulator.users import UserActions

Params = dict[str, Any]


class Watching(UserActions):
    """What a test can read and wait for (and, through UserActions, do)."""

    world: World

    def sent(self, chat_id: int) -> list[Sent]:
        """Return every message the bot sent to a chat, oldest first."""
        return list(self.world.messages.get(chat_id, []))

    # Set by a harness that sees the bot's side too (tests run the bot in-process): wait until
    # the bot has finished handling the update with this id, for at most that many seconds.
    # Telegram cannot know this; without it, a conversation waits for a quiet spell instead.
    handled: Callable[[int, float], Awaitable[None]] | None = None

    async def wait_for_messages(
        self, chat_id: int, count: int, *, timeout: float = 5.0, settle: float = 0.15
    ) -> list[Sent]:
        """Wait until the chat holds ``count`` bot messages and no more arrive for ``settle`` s."""

        def current() -> int:
            return len(self.world.messages.get(chat_id, []))

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            await self.wait_until(lambda: current() >= count, timeout=timeout)
        except TimeoutError:
            raise TimeoutError(
                f"chat {chat_id}: expected {count} bot messages, got {current()}: "
                f"{[sent.text[:80] for sent in self.sent(chat_id)]}"
            ) from None
        last, quiet_since = current(), loop.time()
        while (left := quiet_since + settle - loop.time()) > 0 and loop.time() < deadline:
            await self._activity(left)
            if current() != last:
                last, quiet_since = current(), loop.time()
        return self.sent(chat_id)

    async def converse(
        self,
        chat_id: int,
        text: str,
        *,
        expect: int = 1,
        timeout: float = 5.0,
        user_id: int | None = None,
        language_code: str | None = "en",
        chat_type: str | None = None,
        settle: float = 0.15,
    ) -> list[Sent]:
        """Write ``text`` as a user; return the bot's answer once ``expect`` messages came and
        the bot has handled the message (or, without that signal, once no more arrived for
        ``settle`` seconds)."""
        before = len(self.world.messages.get(chat_id, []))
        update_id = self.send_text(
            chat_id, text, user_id=user_id, language_code=language_code, chat_type=chat_type
        )
        if self.handled is None:
            messages = await self.wait_for_messages(
                chat_id, before + expect, timeout=timeout, settle=settle
            )
            return messages[before:]
        loop = asyncio.get_running_loop()
        started = loop.time()
        await self.handled(update_id, timeout)
        left = max(0.0, timeout - (loop.time() - started))
        messages = await self.wait_for_messages(chat_id, before + expect, timeout=left, settle=0)
        return messages[before:]

    async def _activity(self, timeout: float) -> None:
        """Wait until the bot sends, edits or answers something (at most ``timeout`` s)."""
        activity = self.world.activity
        activity.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(activity.wait(), timeout=timeout)

    async def wait_until(
        self, condition: Callable[[], bool], *, timeout: float = 10.0, what: str = "it"
    ) -> None:
        """Wait until ``condition()`` holds, checking whenever the bot sends or edits."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out waiting for {what}")
            # Checked at least every 0.2 s too: a condition may read more than the bot's sends.
            await self._activity(min(remaining, 0.2))

    async def find(self, chat_id: int, prefix: str, *, timeout: float = 10.0) -> Sent:
        """Wait for the bot's message in a chat whose text starts with ``prefix``; return it."""

        def matching() -> list[Sent]:
            return [m for m in self.world.messages.get(chat_id, []) if m.text.startswith(prefix)]

        await self.wait_until(lambda: bool(matching()), timeout=timeout, what=repr(prefix))
        return matching()[-1]

    async def wait_for_edit(self, message: Sent, edits: int = 1, *, timeout: float = 5.0) -> Sent:
        """Wait until the bot edited a message ``edits`` times in all; return it."""
        try:
            await self.wait_until(lambda: message.edits >= edits, timeout=timeout)
        except TimeoutError:
            raise TimeoutError(
                f"message {message.message_id} was edited {message.edits} times"
            ) from None
        return message

    async def wait_for_answer(self, query_id: str, *, timeout: float = 5.0) -> Params:
        """Wait until the bot answered a callback query; return the answer."""
        answers = self.world.callback_answers
        try:
            await self.wait_until(lambda: query_id in answers, timeout=timeout)
        except TimeoutError:
            raise TimeoutError(f"callback query {query_id} was not answered") from None
        return answers[query_id]

    @property
    def commands(self) -> list[dict[str, str]]:
        """Return the command list the bot registered for everyone."""
        return list(self.world.commands)

    def commands_for(self, chat_id: int) -> list[str]:
        """Return the commands of the menu the bot set for one chat (none: [])."""
        return [c["command"] for c in self.world.scoped_commands.get(f"chat:{chat_id}", [])]

    @property
    def stats(self) -> Params:
        """Return the counters as plain JSON."""
        return self.world.counters.as_dict()
