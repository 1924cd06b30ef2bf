"""Which data keys have sealed this database's addresses: ids and dates, never a key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from core.timing import system_clock
from storage.models.base import Base


class SealKey(Base):
    """A data key by its id (derived from the key): in use, retired by a rotation, or
    destroyed (what it sealed can no longer be read by anyone)."""

    __tablename__ = "seal_keys"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    added_at: Mapped[datetime] = mapped_column(default=system_clock)
    retired_at: Mapped[datetime | None]
    destroyed_at: Mapped[datetime | None]
