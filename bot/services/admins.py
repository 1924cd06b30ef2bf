"""Who is an admin: the ids in APPEALBOT_ADMIN_IDS, and those they added with /admins add."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum

from bot.services.actors import Actor
from core.ids import parse_user_id
from storage.database import Database
from storage.repo import admins
from storage.repo.audit import log_action
from templates.i18n import N_, _


class Source(StrEnum):
    CONFIGURATION = "configuration"
    ADDED = "added"


@dataclass(frozen=True, slots=True)
class AdminChange:
    """What /admins did, in words for the admin, and everyone who is an admin now."""

    message: str
    admins: list[tuple[int, Source]]
    added: int | None = None
    removed: int | None = None


USAGE = N_(
    "Use /admins add <user id> or /admins remove <user id>: a Telegram user id is a "
    "positive number, as @userinfobot shows it."
)


class AdminService:
    """Admin rights: who has them, giving and taking them; every use and refusal audited."""

    def __init__(
        self,
        db: Database,
        *,
        configured: Collection[int],
        on_change: Callable[[int, bool], None] | None = None,
    ) -> None:
        self._db = db
        self._configured = frozenset(configured)
        # Told after commit when someone became an admin or stopped being one.
        self.on_change = on_change

    async def is_admin(self, user_id: int | None) -> bool:
        """Tell whether a Telegram user may use admin commands."""
        if user_id is None:
            return False
        if user_id in self._configured:
            return True
        async with self._db.read() as session:
            return await admins.is_stored_admin(session, user_id)

    async def check(self, user_id: int | None, command: str) -> bool:
        """Tell whether a user may use an admin command; count a refusal if not.

        The audit log names admins only: a refusal says which command, never who asked.
        """
        if await self.is_admin(user_id):
            return True
        async with self._db.unit() as unit:
            await log_action(
                unit.session, actor="non-admin", actor_id=None, action=command, allowed=False
            )
        return False

    async def all_admins(self) -> list[tuple[int, Source]]:
        """Return every admin id with where the right comes from."""
        async with self._db.read() as session:
            stored = await admins.stored_admins(session)
        listed = [(user_id, Source.CONFIGURATION) for user_id in sorted(self._configured)]
        return listed + [(uid, Source.ADDED) for uid in stored if uid not in self._configured]

    async def change(self, argument: str, *, actor: Actor) -> AdminChange:
        """Carry out "/admins [add|remove <id>]"; the configured admins cannot be removed."""
        words = argument.split()
        if not words:
            return AdminChange("", await self.all_admins())
        verb = words[0].lower()
        target = words[1] if len(words) > 1 else ""
        user_id = parse_user_id(target)
        added = removed = None
        async with self._db.unit() as unit:
            if verb not in {"add", "remove"} or user_id is None:
                message = _(USAGE)
            elif verb == "add":
                added = (
                    user_id
                    if await admins.add(unit.session, user_id=user_id, added_by=actor.user_id)
                    else None
                )
                message = (
                    _("%(id)s is now an admin.") if added else _("%(id)s already was an admin.")
                ) % {"id": user_id}
            elif user_id in self._configured:
                message = _(
                    "%(id)s is an admin by configuration (APPEALBOT_ADMIN_IDS); change it there."
                ) % {"id": user_id}
            else:
                removed = user_id if await admins.remove(unit.session, user_id) else None
                message = (
                    _("%(id)s is no longer an admin.") if removed else _("%(id)s was not an admin.")
                ) % {"id": user_id}
            await log_action(
                unit.session,
                actor=actor.label,
                actor_id=actor.user_id,
                action=f"admins {verb}"[:64],
                subject=target[:40] or None,
                detail={"result": message},
            )
            on_change = self.on_change
            if on_change is not None and added is not None:
                unit.after_commit(lambda: on_change(added, True))
            if on_change is not None and removed is not None:
                unit.after_commit(lambda: on_change(removed, False))
        return AdminChange(message, await self.all_admins(), added=added, removed=removed)
