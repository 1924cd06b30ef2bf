"""Targets: the offices and people protests are sent to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Timestamps


class Target(Timestamps, Base):
    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    role: Mapped[str | None] = mapped_column(String(300))
    organisation: Mapped[str | None] = mapped_column(String(300))
    country: Mapped[str | None] = mapped_column(String(2))
    emails: Mapped[list[str]] = mapped_column(default=list)
    phones: Mapped[list[str]] = mapped_column(default=list)
    faxes: Mapped[list[str]] = mapped_column(default=list)
    postal_address: Mapped[str | None] = mapped_column(Text)
    salutation: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    # The languages the office reads, best first (empty: the appeal's own).
    languages: Mapped[list[str]] = mapped_column(default=list, server_default="[]")
    # Its name, organisation, role and how a letter to it begins, in other languages:
    # {"ru": {"name": …, "organisation": …, "role": …, "salutation": …}}.
    texts: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")

    def said_in(self, language: str, field: str) -> str | None:
        """Return one of its words in a language other than English (None: not written)."""
        value = (self.texts or {}).get(language, {}).get(field)
        return str(value) if value else None
