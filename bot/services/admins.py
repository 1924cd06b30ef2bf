"""Who is an admin: the ids in APPEALBOT_ADMIN_IDS, and those they added with /admins add."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from bot.services.actors import Actor
from core.timing import Clock, system_clock
from storage.database import Database, Unit
from storage.items import AdminNotice
from storage.repo import admins
from storage.repo.audit import log_action
from storage.repo.deliveries import queue_direct


class Appointed(StrEnum):
    """How someone became an admin."""

    CONFIGURATION = "configuration"
    ADDED = "added"


class RightsChange(StrEnum):
    """What giving or taking admin rights did."""

    ADDED = "added"
    ALREADY = "already an admin"
    REMOVED = "removed"
    NOT_ADMIN = "was not an admin"
    CONFIGURED = "an admin by configuration"  # cannot be removed here


@dataclass(frozen=True, slots=True)
class AdminChange:
    """What one change of rights did, and everyone who is an admin now."""

    user_id: int
    result: RightsChange
    admins: list[tuple[int, Appointed]]


class AdminService:
    """Admin rights: who has them, giving and taking them; every use and refusal audited."""

    def __init__(
        self,
        db: Database,
        *,
        configured: Collection[int],
        on_change: Callable[[int, bool], None] | None = None,
        admins_on: str | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._db = db
        self._configured = frozenset(configured)
        # The channel admins are reached in: each change is told to the other admins there.
        self._admins_on = admins_on
        self._clock = clock
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

    async def all_admins(self) -> list[tuple[int, Appointed]]:
        """Return every admin id with where the right comes from."""
        async with self._db.read() as session:
            stored = await admins.stored_admins(session)
        listed = [(user_id, Appointed.CONFIGURATION) for user_id in sorted(self._configured)]
        return listed + [(uid, Appointed.ADDED) for uid in stored if uid not in self._configured]

    async def add(self, user_id: int, *, actor: Actor) -> AdminChange:
        """Make a Telegram user an admin."""
        async with self._db.unit() as unit:
            added = await admins.add(unit.session, user_id=user_id, added_by=actor.user_id)
            result = RightsChange.ADDED if added else RightsChange.ALREADY
            await self._audit(unit, "admins add", user_id, result, actor)
            if added:
                self._tell(unit, user_id, is_admin=True)
                await self._announce(unit, "added", user_id, actor)
        return AdminChange(user_id, result, await self.all_admins())

    async def remove(self, user_id: int, *, actor: Actor) -> AdminChange:
        """Take a user's admin rights (not those given by the configuration)."""
        async with self._db.unit() as unit:
            if user_id in self._configured:
                result = RightsChange.CONFIGURED
            elif await admins.remove(unit.session, user_id):
                result = RightsChange.REMOVED
                self._tell(unit, user_id, is_admin=False)
                await self._announce(unit, "removed", user_id, actor)
            else:
                result = RightsChange.NOT_ADMIN
            await self._audit(unit, "admins remove", user_id, result, actor)
        return AdminChange(user_id, result, await self.all_admins())

    async def _announce(
        self, unit: Unit, kind: Literal["added", "removed"], user_id: int, actor: Actor
    ) -> None:
        """Tell every other admin who gave or took admin rights, and whose."""
        if self._admins_on is None:
            return
        everyone = self._configured | set(await admins.stored_admins(unit.session))
        others = sorted(
            everyone - {actor.user_id, user_id} if kind == "removed" else everyone - {actor.user_id}
        )
        await queue_direct(
            unit.session,
            channel=self._admins_on,
            addresses=[str(admin) for admin in others],
            item=AdminNotice(kind, user_id, actor.user_id or 0),
            now=self._clock(),
        )

    def _tell(self, unit: Unit, user_id: int, *, is_admin: bool) -> None:
        on_change = self.on_change
        if on_change is not None:
            unit.after_commit(lambda: on_change(user_id, is_admin))

    @staticmethod
    async def _audit(
        unit: Unit, action: str, user_id: int, result: RightsChange, actor: Actor
    ) -> None:
        await log_action(
            unit.session,
            actor=actor.label,
            actor_id=actor.user_id,
            action=action,
            subject=str(user_id),
            detail={"result": result.value},
        )
