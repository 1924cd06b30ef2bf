"""Sweeps: housekeeping that must not wait for anyone to ask."""

from __future__ import annotations

import logging

from bot.context import Context

log = logging.getLogger(__name__)
EXPIRE_EVERY = 3600.0  # seconds


async def expire_sign_ups(context: Context) -> None:
    """Forget email sign-ups nobody confirmed within seven days."""
    forgotten = await context.bot_data.services.email.expire()
    if forgotten:
        log.info("forgot %d email sign-ups that were never confirmed", forgotten)
