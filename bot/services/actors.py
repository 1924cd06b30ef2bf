"""Who did something, for the audit log: an admin in Telegram, or the command line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    label: str
    user_id: int | None = None

    @classmethod
    def telegram(cls, user_id: int | None) -> Actor:
        """An admin (or someone trying to be one) in Telegram."""
        return cls(f"telegram:{user_id if user_id is not None else 'unknown'}", user_id)

    @classmethod
    def cli(cls) -> Actor:
        """The operator at the command line."""
        return cls("cli")


CLI = Actor.cli()
