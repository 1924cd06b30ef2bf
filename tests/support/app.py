"""The service as tests build it: the production composition root, with explicit settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.app import App, Overrides, open_app
from bot.config import Settings

# A token for settings that must name one (so that Telegram counts as configured) but
# never reach a server.
OFFLINE_TOKEN = "1:offline-test-token"


def app_settings(database_url: str, **values: Any) -> Settings:
    """Return settings for a test database, ignoring the environment and any .env file."""
    values.setdefault("telegram_token", OFFLINE_TOKEN)
    values.setdefault("http_port", 0)
    return Settings(_env_file=None, database_url=database_url, **values)


@asynccontextmanager
async def app_for(
    database_url: str, *, overrides: Overrides | None = None, **values: Any
) -> AsyncIterator[App]:
    """Build the service over a migrated test database, as production does."""
    async with open_app(app_settings(database_url, **values), overrides=overrides) as app:
        yield app
