"""Settings read from the environment (prefix ``APPEALBOT_``) and an optional ``.env`` file."""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from standardwebhooks.webhooks import Webhook

from core.ids import parse_user_id


class SmtpSecurity(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"  # one JSON object per line


class Settings(BaseSettings):
    """Everything an operator can configure."""

    model_config = SettingsConfigDict(
        env_prefix="APPEALBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    telegram_token: SecretStr | None = None
    # Keys the hashes that count protests and stand for chats in logs; kept out of the
    # database. Unset: derived from the bot token.
    secret_key: SecretStr | None = None
    log_format: LogFormat = LogFormat.TEXT
    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")
    telegram_api_url: str = "https://api.telegram.org"
    database_url: str = "sqlite+aiosqlite:///appealbot.db"
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    # The channel admins are reached in (drafts to review, a broadcast's progress, a feed's
    # trouble): one that can reach them, where their ids are its addresses.
    admin_channel: str = "telegram"

    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: SmtpSecurity = SmtpSecurity.STARTTLS
    mail_from: str = ""
    smtp_rate: float = Field(default=50.0, gt=0)
    smtp_connections: int = Field(default=4, ge=1, le=50)
    dkim_selector: str | None = None
    dkim_domain: str | None = None
    dkim_key_file: str | None = None
    # Off only in tests: signing up checks that the address's domain takes mail.
    email_check_deliverability: bool = True

    # The network's advice to letter writers on signing, by country code or "*" for every
    # country, as JSON ({"KZ": "..."}); an appeal's own note comes first, then this, then ours.
    safety_notes: dict[str, str] = {}

    public_url: str = "http://127.0.0.1:8080"
    # The public pages: the network's name on them, and the image their link previews show.
    site_name: str = Field(default="Urgent appeals", min_length=1, max_length=80)
    share_image_url: str | None = None
    # The bot's @username for its deep links on the pages (else asked of the Bot API).
    bot_username: str | None = None
    # Matrix rooms every published appeal is posted to (ids or aliases, comma-separated), as
    # this user on this homeserver with this access token.
    matrix_homeserver: str | None = None
    matrix_user: str | None = None
    matrix_access_token: SecretStr | None = None
    matrix_rooms: Annotated[tuple[str, ...], NoDecode] = ()
    # While the homeserver cannot be reached: how long a post waits before the next try.
    matrix_down_wait_seconds: float = Field(default=10.0, gt=0, le=3600)
    # Receivers every publish, update and outcome is POSTed to, signed (Standard Webhooks)
    # with this secret ("whsec_" and base64, as that scheme writes it).
    outgoing_webhooks: Annotated[tuple[str, ...], NoDecode] = ()
    outgoing_webhook_secret: SecretStr | None = None
    # Reverse proxies whose X-Forwarded-For is believed (addresses or networks); none: the
    # TCP peer is the client.
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    # A client that has not sent its whole request in this time is disconnected (slow
    # clients must not hold connections open), and an idle connection closed.
    http_timeout_seconds: float = Field(default=15.0, gt=0, le=600)

    # Set: Telegram posts updates to this HTTPS URL (served by the HTTP app, its path as
    # given), each checked against the secret token. Unset: long polling.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    telegram_channel: str | None = None
    telegram_rate: float = Field(default=30.0, gt=0)
    telegram_paid_broadcast: bool = False
    telegram_paid_rate: float = Field(default=1000.0, gt=0)
    delivery_lease_seconds: float = Field(default=15.0, gt=0)
    # How often a delivery worker says it is alive; one silent for three beats is dead.
    delivery_heartbeat_seconds: float = Field(default=2.0, gt=0, le=60)
    # The first pause before a failed send is tried again (then twice, four times as long …).
    retry_backoff_seconds: float = Field(default=2.0, gt=0, le=600)
    # How long deliveries wait, using no attempt, while the SMTP relay cannot be reached.
    smtp_down_wait_seconds: float = Field(default=10.0, gt=0, le=3600)
    # How often the admin's progress message of a broadcast is brought up to date.
    progress_every_seconds: float = Field(default=3.0, ge=0.1, le=60)
    archive_after_months: int = Field(default=6, ge=1, le=600)
    delivery_retention_days: int = Field(default=365, ge=1, le=36_500)
    audit_retention_days: int = Field(default=365, ge=1, le=36_500)
    fetch_allow_private: bool = False
    # How often followed feeds are polled (a failing one less often: twice as long each time).
    sources_every_minutes: float = Field(default=15.0, ge=1, le=1440)

    @field_validator("webhook_url")
    @classmethod
    def _webhook_https(cls, value: str | None) -> str | None:
        if value and not value.startswith("https://"):
            raise ValueError("Telegram posts updates to HTTPS URLs only (https://…)")
        return value

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

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            for part in value:
                try:
                    ipaddress.ip_network(str(part), strict=False)
                except ValueError:
                    raise ValueError(f"{part!r} is not an IP address or network") from None
            return tuple(str(part) for part in value)
        return value

    @field_validator("telegram_channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if re.fullmatch(r"@[A-Za-z][A-Za-z0-9_]{3,31}|-100[0-9]{5,15}", value) is None:
            raise ValueError("a channel's @username or its id (-100…)")
        return value

    @field_validator("outgoing_webhooks", mode="before")
    @classmethod
    def _split_webhooks(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            for part in value:
                if not re.match(r"https?://[^/\s]+", str(part)):
                    raise ValueError(f"{part!r} is not an http(s) URL")
            return tuple(str(part) for part in value)
        return value

    @field_validator("matrix_rooms", mode="before")
    @classmethod
    def _split_rooms(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            for part in value:
                # Room ids of room version 12 have no server part: "!abc…".
                if not re.fullmatch(r"![^\s,]+|#[^:\s,]+:[^\s,]+", str(part)):
                    raise ValueError(f"{part!r} is not a room id (!…) or alias (#…:server)")
            return tuple(str(part) for part in value)
        return value

    @model_validator(mode="after")
    def _webhook_secret(self) -> Settings:
        if self.outgoing_webhooks and self.outgoing_webhook_secret is None:
            raise ValueError(
                "APPEALBOT_OUTGOING_WEBHOOK_SECRET must be set with APPEALBOT_OUTGOING_WEBHOOKS "
                "(for example: whsec_ followed by `openssl rand -base64 32`)"
            )
        if self.outgoing_webhook_secret is not None:
            try:
                Webhook(self.outgoing_webhook_secret.get_secret_value())
            except ValueError:
                raise ValueError(
                    "APPEALBOT_OUTGOING_WEBHOOK_SECRET is whsec_ followed by base64"
                ) from None
        return self

    @field_validator("bot_username")
    @classmethod
    def _username(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().removeprefix("@")
        if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", value) is None:
            raise ValueError("a bot's @username (letters, digits and _)")
        return value

    @field_validator("telegram_api_url", "public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _sender(self) -> Settings:
        if self.smtp_host and "@" not in self.mail_from:
            raise ValueError("APPEALBOT_MAIL_FROM must be an email address when SMTP is set")
        dkim = (self.dkim_selector, self.dkim_domain, self.dkim_key_file)
        if any(dkim) and not all(dkim):
            raise ValueError("DKIM needs all three: APPEALBOT_DKIM_SELECTOR, _DOMAIN and _KEY_FILE")
        return self

    @property
    def bot_base_url(self) -> str:
        """Return the Bot API base in the form PTB expects (the token is inserted)."""
        return f"{self.telegram_api_url}/bot{{token}}"

    @property
    def broadcast_rate(self) -> float:
        """Return the global rate the broadcaster keeps to, in messages per second."""
        return self.telegram_paid_rate if self.telegram_paid_broadcast else self.telegram_rate
