"""Broadcasts: one per published appeal, with where its progress is shown."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.timing import system_clock
from storage.models.base import Base


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(
        ForeignKey("appeals.id", ondelete="CASCADE"), unique=True
    )
    started_by: Mapped[int | None] = mapped_column(BigInteger)
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    # The language of the admin who follows the progress message.
    progress_language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    total: Mapped[int] = mapped_column(Integer, default=0)
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(default=system_clock)
    finished_at: Mapped[datetime | None] = mapped_column(index=True)
