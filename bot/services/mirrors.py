"""Mirrors: the places every published appeal is posted to (a Telegram channel, a Matrix
room, a webhook), kept as subscribers of their channel from what the operator configured."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from urllib.parse import urlsplit

from bot.delivery.channels import Mirror
from storage.database import Database
from storage.repo.subscribers import sync_mirrors

log = logging.getLogger(__name__)


def mirror_where(address: str) -> str:
    """Return a mirror's address as admins may see it: a receiver's URL may carry a secret
    in its path or query, so only its host."""
    if "://" in address:
        return urlsplit(address).hostname or "?"
    return address


class MirrorService:
    """Keep each channel's mirrors as configured."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def sync(self, channel: str, targets: Sequence[Mirror]) -> tuple[int, int]:
        """Make a channel's mirrors these targets; return how many were added and retired."""
        async with self._db.unit() as unit:
            added, retired = await sync_mirrors(
                unit.session, channel, [(target.address, target.kind) for target in targets]
            )
        if added or retired:
            log.info("%s mirrors: %d added, %d no longer configured", channel, added, retired)
        return added, retired
