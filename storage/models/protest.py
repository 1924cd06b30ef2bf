"""Protests: "I sent a protest" taps, counted once per person and appeal, never who."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.timing import system_clock
from storage.models.base import Base


class Protest(Base):
    __tablename__ = "actions"
    __table_args__ = (UniqueConstraint("appeal_id", "taker"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    # A keyed hash of the person and the appeal (core/pseudonyms.py): the same person is
    # counted once, and without the server's secret nobody can tell who it was.
    taker: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=system_clock)
