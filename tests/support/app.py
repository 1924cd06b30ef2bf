"""The service as tests build it: the production composition root, with explicit settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.app import App, Overrides, open_app
from bot.config import Settings
from tests.support.keys import TEST_KEY_TEXT

# A token for settings that must name one (so that Telegram counts as configured) but
# never reach a server.
OFFLINE_TOKEN = "1:offline-test-token"
# The service's own waits, shortened: a test waits for what they lead to, not for them. Tests
# of the waits themselves set them back.
SHORT_WAITS: dict[str, float] = {
    "delivery_heartbeat_seconds": 0.5,
    "retry_backoff_seconds": 0.2,
    "smtp_down_wait_seconds": 0.5,
    "matrix_down_wait_seconds": 0.5,
    "progress_every_seconds": 0.5,
}


def quick_settings(**values: Any) -> Settings:
    """Return settings with short waits and the tests' data key, ignoring the environment and
    any .env file."""
    # A test that names a key file seals with it (not with the tests' key in the environment).
    values.setdefault("data_key", None if "key_file" in values else TEST_KEY_TEXT)
    return Settings(_env_file=None, **{**SHORT_WAITS, **values})


def app_settings(database_url: str, **values: Any) -> Settings:
    """Return settings for a test database, ignoring the environment and any .env file."""
    values.setdefault("telegram_token", OFFLINE_TOKEN)
    values.setdefault("http_port", 0)
    return quick_settings(database_url=database_url, **values)


@asynccontextmanager
async def app_for(
    database_url: str, *, overrides: Overrides | None = None, **values: Any
) -> AsyncIterator[App]:
    """Build the service over a migrated test database, as production does."""
    async with open_app(app_settings(database_url, **values), overrides=overrides) as app:
        yield app
