"""The emulator's test side: act as Telegram users (write, tap, leave, block)."""

from __future__ import annotations

import time
from typing import Any

from emulator.state import Sent, World, bot_user, chat_object, user_object

Params = dict[str, Any]


def _member(status: str) -> Params:
    member: Params = {"user": bot_user(), "status": status}
    if status == "kicked":
        member["until_date"] = 0
    return member


class UserActions:
    """What a test can make users and chats do."""

    world: World

    def send_text(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        language_code: str | None = "en",
        chat_type: str | None = None,
    ) -> int:
        """Make a user write ``text`` in a chat; return the update id."""
        if chat_type is not None:
            self.world.chat_types[chat_id] = chat_type
        kind = self.world.chat_type(chat_id)
        sender = user_id if user_id is not None else chat_id
        # A user's language is theirs: Telegram sends the same code with their taps.
        self.world.user_languages[sender] = language_code
        message: Params = {
            "message_id": next(self.world.message_ids),
            "from": user_object(sender, language_code=language_code),
            "chat": chat_object(chat_id, kind),
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.world.push_update({"message": message})

    def edit_text(self, chat_id: int, message_id: int, text: str) -> int:
        """Make the user edit a message they sent earlier; return the update id."""
        kind = self.world.chat_type(chat_id)
        now = int(time.time())
        message: Params = {
            "message_id": message_id,
            "from": user_object(chat_id),
            "chat": chat_object(chat_id, kind),
            "date": now - 60,
            "edit_date": now,
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.world.push_update({"edited_message": message})

    def tap(self, message: Sent, label: str, *, user_id: int | None = None) -> str:
        """Make a user tap the inline button whose label contains ``label``."""
        button = message.button(label)
        if "callback_data" not in button:
            raise LookupError(f"button {button['text']!r} is a link, not a callback button")
        return self.tap_data(message, button["callback_data"], user_id=user_id)

    def tap_data(self, message: Sent, data: str, *, user_id: int | None = None) -> str:
        """Make a user send a callback query with ``data`` from a message."""
        kind = self.world.chat_type(message.chat_id)
        sender = user_id if user_id is not None else message.chat_id
        query_id = str(next(self.world.callback_ids))
        self.world.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user_object(
                        sender, language_code=self.world.user_languages.get(sender, "en")
                    ),
                    "message": message.as_message(kind),
                    "chat_instance": str(message.chat_id),
                    "data": data,
                }
            }
        )
        return query_id

    def change_membership(self, chat_id: int, *, status: str, user_id: int | None = None) -> int:
        """Emit my_chat_member: the bot became ``member``, ``left`` or ``kicked``."""
        kind = self.world.chat_type(chat_id)
        old = "kicked" if status == "member" else "member"
        return self.world.push_update(
            {
                "my_chat_member": {
                    "chat": chat_object(chat_id, kind),
                    "from": user_object(user_id if user_id is not None else abs(chat_id)),
                    "date": int(time.time()),
                    "old_chat_member": _member(old),
                    "new_chat_member": _member(status),
                }
            }
        )

    def block(self, chat_id: int, *, reason: str = "bot was blocked by the user") -> None:
        """Make every later send to this chat fail with 403 (no update is sent)."""
        self.world.blocked[chat_id] = f"Forbidden: {reason}"

    def migrate(self, chat_id: int, new_chat_id: int, *, announce: bool = False) -> int | None:
        """Turn a group into a supergroup with a new id (``announce``: tell the bot, too, and
        return that update's id)."""
        self.world.migrated[chat_id] = new_chat_id
        self.world.chat_types[new_chat_id] = "supergroup"
        if not announce:
            return None
        return self.world.push_update(
            {
                "message": {
                    "message_id": next(self.world.message_ids),
                    "from": user_object(abs(chat_id)),
                    "chat": chat_object(chat_id, "group"),
                    "date": int(time.time()),
                    "migrate_to_chat_id": new_chat_id,
                }
            }
        )

    def add_channel(self, chat_id: int, username: str, *, bot_is_admin: bool = True) -> None:
        """Create a public channel @username (where the bot may post, if an admin)."""
        self.world.chat_types[chat_id] = "channel"
        self.world.usernames[username.lower()] = chat_id
        if bot_is_admin:
            self.world.posting.add(chat_id)

    def make_admin(self, chat_id: int, user_id: int) -> None:
        """Make a user an administrator of a group."""
        self.world.admins[chat_id].add(user_id)
