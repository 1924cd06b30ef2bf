"""The outbox: one row per appeal, subscriber and channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.timing import system_clock
from storage.enums import DeliveryPurpose, DeliveryState
from storage.models.base import Base
from storage.types import BigIntPK, str_enum


class Delivery(Base):
    """One message to send (or sent): every message the service sends is one of these."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("appeal_id", "subscriber_id", "channel", "purpose", "notice"),
        UniqueConstraint("appeal_id", "purpose", "address_hash"),
        Index("ix_deliveries_due", "state", "priority", "next_attempt_at"),
        Index("ix_deliveries_appeal_state", "appeal_id", "state"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    # Empty for what is about no one appeal: a sign-up's confirmation, a daily digest.
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"))
    # Empty for a message to someone who is not a subscriber (an admin's review of a draft).
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), index=True
    )
    # Where it goes, without a subscriber (an admin): sealed as a subscriber's address is.
    address_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    address_hash: Mapped[str | None] = mapped_column(String(32))
    sealed_with: Mapped[int | None] = mapped_column(Integer)
    purpose: Mapped[DeliveryPurpose] = mapped_column(
        str_enum(DeliveryPurpose), default=DeliveryPurpose.APPEAL
    )
    channel: Mapped[str] = mapped_column(String(20))
    # 0 goes before 1: mirrors, confirmations and admins' messages before a broadcast's rows.
    priority: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # A row held for a reader's digest points at the digest that carries it.
    bundle_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="SET NULL"), index=True
    )
    # What the channel called the message it sent (kept for mirrors: updates reply to it).
    external_id: Mapped[str | None] = mapped_column(String(100))
    # Which notice of its purpose this is (a reminder: its event and slot); "" for the rest.
    notice: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # Queued after its time (the bot was down): the message says so.
    late: Mapped[bool] = mapped_column(default=False, server_default=false())
    state: Mapped[DeliveryState] = mapped_column(
        str_enum(DeliveryState), default=DeliveryState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=system_clock)
    lease_until: Mapped[datetime | None]
    # The worker that claimed it (while sending); a dead worker's claims are freed.
    claimed_by: Mapped[str | None] = mapped_column(String(36), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=system_clock)
