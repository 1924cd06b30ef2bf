"""Delivery workers: each running delivery engine, with its heartbeat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from core.timing import system_clock
from storage.models.base import Base


class Worker(Base):
    """A process sending deliveries; one that stops beating is dead, and its claims are freed."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(default=system_clock)
    heartbeat_at: Mapped[datetime] = mapped_column(default=system_clock, index=True)


class Lease(Base):
    """A role only one process may hold at a time (sending to Telegram: one bot, one budget)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(36))
    until: Mapped[datetime] = mapped_column(default=system_clock)
