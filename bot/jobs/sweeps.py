"""The clock's jobs: what is due by the time, and housekeeping that must not wait."""

from __future__ import annotations

from bot.context import Context

TICK_EVERY = 60.0  # seconds: reminders and digests go out within a minute of their time
SWEEP_EVERY = 3600.0


async def tick(context: Context) -> None:
    """Queue the reminders and nudges due now, stop past deadlines, send due digests."""
    await context.bot_data.services.time.tick()


async def poll_sources(context: Context) -> None:
    """Poll the followed feeds that are due, and draft their new appeals."""
    await context.bot_data.services.sources.poll(only_due=True)


async def sweep(context: Context) -> None:
    """Forget unconfirmed sign-ups; delete old deliveries and audit details."""
    await context.bot_data.services.time.sweep()
