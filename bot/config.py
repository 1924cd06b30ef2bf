"""Settings read from the environment (prefix ``APPEALBOT_``) and an optional ``.env`` file.

Each channel owns its group of settings (in its module, beside its ``build``); this class
adds what the whole service needs. The variables keep one flat namespace.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.channels.email import EmailSettings
from bot.channels.matrix import MatrixSettings
from bot.channels.telegram import TelegramSettings
from bot.channels.webhook import WebhookSettings
from bot.web import WebSettings
from core.ids import parse_user_id


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"  # one JSON object per line


class Settings(
    TelegramSettings, EmailSettings, MatrixSettings, WebhookSettings, WebSettings, BaseSettings
):
    """Everything an operator can configure."""

    model_config = SettingsConfigDict(
        env_prefix="APPEALBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    # Keys the hashes that count protests and stand for chats in logs; kept out of the
    # database. Unset: derived from the bot token.
    secret_key: SecretStr | None = None
    # The data key that seals subscribers' addresses: a file made on first start (mode
    # 0600; unset: ~/.config/appealbot/data.key, not beside the database), or the key
    # itself as a secret (base64 of 32 bytes; then `appealbot key` cannot change it).
    key_file: Path | None = None
    data_key: SecretStr | None = None
    # A broadcast to more readers than this waits for a second admin's confirmation.
    second_admin_above: int | None = Field(default=None, ge=0)
    log_format: LogFormat = LogFormat.TEXT
    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")
    database_url: str = "sqlite+aiosqlite:///appealbot.db"
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    # The channel admins are reached in (drafts to review, a broadcast's progress, a feed's
    # trouble): one that can reach them, where their ids are its addresses.
    admin_channel: str = "telegram"
    # Off only in tests: signing up checks that the address's domain takes mail.
    email_check_deliverability: bool = True

    # The network's advice to letter writers on signing, by country code or "*" for every
    # country, as JSON ({"KZ": "..."}); an appeal's own note comes first, then this, then ours.
    safety_notes: dict[str, str] = {}

    public_url: str = "http://127.0.0.1:8080"
    # The public pages: the network's name on them, and the image their link previews show.
    site_name: str = Field(default="Urgent appeals", min_length=1, max_length=80)
    share_image_url: str | None = None

    delivery_lease_seconds: float = Field(default=15.0, gt=0)
    # How often a delivery worker says it is alive; one silent for three beats is dead.
    delivery_heartbeat_seconds: float = Field(default=2.0, gt=0, le=60)
    # The first pause before a failed send is tried again (then twice, four times as long …).
    retry_backoff_seconds: float = Field(default=2.0, gt=0, le=600)
    # How often the admin's progress message of a broadcast is brought up to date.
    progress_every_seconds: float = Field(default=3.0, ge=0.1, le=60)
    archive_after_months: int = Field(default=6, ge=1, le=600)
    delivery_retention_days: int = Field(default=365, ge=1, le=36_500)
    audit_retention_days: int = Field(default=365, ge=1, le=36_500)
    fetch_allow_private: bool = False
    # How often followed feeds are polled (a failing one less often: twice as long each time).
    sources_every_minutes: float = Field(default=15.0, ge=1, le=1440)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.replace(";", ",").split(",")]
            ids = [(part, parse_user_id(part)) for part in parts if part]
            wrong = [part for part, user_id in ids if user_id is None]
            if wrong:
                raise ValueError(f"{wrong[0]!r} is not a Telegram user id (a positive number)")
            return frozenset(user_id for _, user_id in ids)
        return value

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")
