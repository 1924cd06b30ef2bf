"""The data key as an operator looks after it: where it is, rotating it while the bot runs,
destroying it when the network must."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core.errors import BadInputError, ConfigError
from core.keyfile import KeyFile, Keys
from core.sealing import DataKey, KeyRing
from core.timing import Clock
from storage.database import Database
from storage.keys import wipe_free_space
from storage.repo.audit import log_action
from storage.repo.seal_keys import (
    KeyState,
    count_lost,
    known_keys,
    lose,
    mark_keys,
    register_key,
    reseal,
    sealed_with_counts,
)

log = logging.getLogger(__name__)

BATCH = 500
# How long a rotation waits, once nothing is left under the old key, before it drops that
# key: every process reads the key file again within a second (core/keyfile.py), so one
# that sealed a new sign-up with the old key meanwhile is caught by the last pass.
SETTLE_SECONDS = 2.5


@dataclass(frozen=True, slots=True)
class KeyStatus:
    """What an operator and the admins are told about the key (never the key)."""

    key_id: int
    where: Path | None  # the key file (None: APPEALBOT_DATA_KEY)
    since: datetime | None
    rotating: bool  # a rotation began and has not finished
    destroyed_at: datetime | None  # the last time a key was destroyed
    lost: int  # subscribers sealed by a destroyed key, no longer reachable


@dataclass(frozen=True, slots=True)
class Rotated:
    key_id: int
    resealed: int


@dataclass(frozen=True, slots=True)
class Destroyed:
    key_id: int
    lost: int


class KeyService:
    """Rotate and destroy the data key; say where it is."""

    def __init__(
        self,
        db: Database,
        keys: Keys,
        *,
        clock: Clock,
        network: str,
        settle: float = SETTLE_SECONDS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._db = db
        self._keys = keys
        self._clock = clock
        self.network = network
        self._settle = settle
        self._sleep = sleep

    def _file(self) -> KeyFile:
        if not isinstance(self._keys, KeyFile):
            raise ConfigError(
                "the key comes from APPEALBOT_DATA_KEY: to rotate or destroy it, keep it in a "
                "key file instead (APPEALBOT_KEY_FILE)"
            )
        return self._keys

    async def status(self) -> KeyStatus:
        """Say which key is in force, since when, and what a destroyed key cost."""
        ring = self._keys()
        async with self._db.read() as session:
            known = {key.id: key for key in await known_keys(session)}
            lost = await count_lost(session)
        current: KeyState | None = known.get(ring.current.id)
        destroyed = [key.destroyed_at for key in known.values() if key.destroyed_at]
        return KeyStatus(
            key_id=ring.current.id,
            where=self._keys.path,
            since=current.added_at if current else None,
            rotating=bool(ring.retiring),
            destroyed_at=max(destroyed) if destroyed else None,
            lost=lost,
        )

    async def rotate(
        self, *, batch: int = BATCH, report: Callable[[int], None] | None = None
    ) -> Rotated:
        """Seal every address again with a new key, in batches, while the bot runs; a
        rotation that was interrupted goes on with the key it began with."""
        keys = self._file()
        ring = keys()
        if not ring.retiring:
            ring = KeyRing(DataKey.new(), (ring.current,))
            keys.write(ring)
        async with self._db.unit() as unit:
            await register_key(unit.session, ring.current.id, self._clock())
        total = await self._reseal_all(batch, report)
        # Processes that had not read the file again yet may have sealed with the old key.
        await self._sleep(self._settle)
        total += await self._reseal_all(batch, report)
        async with self._db.unit() as unit:
            left = await sealed_with_counts(unit.session)
            stuck = sum(left.get(key.id, 0) for key in ring.retiring)
            if stuck:
                raise BadInputError(
                    "%(count)s addresses could not be sealed again; run the rotation again",
                    count=stuck,
                )
            await mark_keys(
                unit.session, [key.id for key in ring.retiring], self._clock(), destroyed=False
            )
            await log_action(
                unit.session,
                actor="operator",
                action="key.rotated",
                subject=f"key #{ring.current.id}",
                detail={"resealed": total},
            )
        keys.write(KeyRing(ring.current))
        return Rotated(ring.current.id, total)

    async def _reseal_all(self, batch: int, report: Callable[[int], None] | None) -> int:
        total = 0
        while True:
            async with self._db.unit() as unit:
                done = await reseal(unit.session, batch=batch)
            total += done
            if report is not None and done:
                report(total)
            if done == 0:
                return total

    async def destroy(self, typed: str, *, batch: int = BATCH) -> Destroyed:
        """Overwrite the key (every stored address unreadable at once), go on with a new one
        for new subscribers; ``typed`` must be the network's name."""
        if typed.strip().casefold() != self.network.strip().casefold():
            raise BadInputError(
                "the key was not destroyed: type the network's name, %(name)s, to confirm",
                name=self.network,
            )
        keys = self._file()
        old = [key.id for key in keys().keys]
        ring = keys.destroy()
        log.warning("the data key was destroyed; a new one seals new subscribers")
        now = self._clock()
        async with self._db.unit() as unit:
            await register_key(unit.session, ring.current.id, now)
            await mark_keys(unit.session, old, now, destroyed=True)
            await log_action(
                unit.session, actor="operator", action="key.destroyed", subject=f"key #{old[0]}"
            )
        # What the destroyed key sealed is noise now; the rows keep a count, not the noise.
        while True:
            async with self._db.unit() as unit:
                done = await lose(unit.session, old, batch=batch)
            if done == 0:
                break
        await self._db.checkpoint()
        await wipe_free_space(self._db)
        async with self._db.read() as session:
            lost = await count_lost(session)
        return Destroyed(ring.current.id, lost)
