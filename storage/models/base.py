"""Declarative base with a naming convention that batch migrations can rely on."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.timing import system_clock
from storage.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012
        datetime: UTCDateTime(),
        date: Date(),
        list[str]: JSON(),
        list[int]: JSON(),
        dict[str, Any]: JSON(),
    }


class Timestamps:
    """Creation and last-change times, set by the database session."""

    created_at: Mapped[datetime] = mapped_column(default=system_clock)
    updated_at: Mapped[datetime] = mapped_column(default=system_clock, onupdate=system_clock)
