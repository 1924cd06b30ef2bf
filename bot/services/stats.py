"""The figures admins look at: subscribers, appeals, protests, recent broadcasts."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from bot.services.mirrors import mirror_where
from storage.database import Database
from storage.repo.seal_keys import count_lost, known_keys
from storage.repo.stats import (
    BroadcastFigures,
    appeal_counts,
    mirror_states,
    protests_per_appeal,
    recent_broadcasts,
    subscriber_counts,
)


@dataclass(frozen=True, slots=True)
class Stats:
    subscribers: dict[str, dict[str, int]]
    appeals: dict[str, int]
    protests: list[tuple[int, str, int]]
    broadcasts: list[BroadcastFigures]
    mirrors: list[tuple[str, str, str]]  # channel, where (a room, a receiver's host), state
    # When the data key was last destroyed, and how many subscribers it took away.
    key_destroyed_at: datetime | None = None
    lost: int = 0

    def as_json(self) -> dict[str, Any]:
        """Return the figures as plain JSON."""
        return {
            "subscribers": self.subscribers,
            "appeals": self.appeals,
            "key_destroyed_at": self.key_destroyed_at.isoformat()
            if self.key_destroyed_at
            else None,
            "lost": self.lost,
            "mirrors": [
                {"channel": channel, "where": where, "state": state}
                for channel, where, state in self.mirrors
            ],
            "protests": [
                {"appeal_id": appeal_id, "title": title, "protests": count}
                for appeal_id, title, count in self.protests
            ],
            "broadcasts": [
                {
                    **asdict(item),
                    "started_at": item.started_at.isoformat(),
                    "finished_at": item.finished_at.isoformat() if item.finished_at else None,
                }
                for item in self.broadcasts
            ],
        }


class StatsService:
    """Count what admins and operators watch (counts only, never who)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def collect(self) -> Stats:
        """Gather every figure."""
        async with self._db.read() as session:
            subscribers: dict[str, dict[str, int]] = {}
            for (channel, state), count in sorted((await subscriber_counts(session)).items()):
                subscribers.setdefault(channel, {})[state.value] = count
            destroyed = [key.destroyed_at for key in await known_keys(session) if key.destroyed_at]
            appeals = {
                status.value: count
                for status, count in sorted((await appeal_counts(session)).items())
            }
            return Stats(
                subscribers=subscribers,
                appeals=appeals,
                protests=await protests_per_appeal(session),
                broadcasts=await recent_broadcasts(session),
                mirrors=[
                    (channel, mirror_where(address), state.value)
                    for channel, address, state in await mirror_states(session)
                ],
                key_destroyed_at=max(destroyed) if destroyed else None,
                lost=await count_lost(session),
            )
