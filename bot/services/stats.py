"""The figures admins look at: subscribers, appeals, protests, recent broadcasts."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from bot.services.mirrors import mirror_where
from storage.database import Database
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

    def as_json(self) -> dict[str, Any]:
        """Return the figures as plain JSON."""
        return {
            "subscribers": self.subscribers,
            "appeals": self.appeals,
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
            )
