"""Subscribers: a Telegram chat or an email address that receives appeals."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.enums import SubscriberState
from storage.models.base import Base, Timestamps
from storage.types import BigIntPK, str_enum

if TYPE_CHECKING:
    from storage.models.case import Case

subscriber_cases = Table(
    "subscriber_cases",
    Base.metadata,
    Column("subscriber_id", ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Subscriber(Timestamps, Base):
    """Someone (or some place) appeals go to, by a channel and an address that channel
    understands: a Telegram chat id, an email address, a Matrix room, a webhook's URL.

    Holds only what delivery needs: no names, no usernames. A mirror is a place every
    published appeal is posted to, whatever the filters (a Telegram channel, a Matrix room).
    """

    __tablename__ = "subscribers"
    __table_args__ = (
        Index("ix_subscribers_channel_state", "channel", "state"),
        UniqueConstraint("channel", "address_hash"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))  # the name a channel is registered by
    # The address, sealed (core/sealing.py) with the key ``sealed_with``, and the keyed hash
    # it is found by; never in the clear. None once it has left.
    address_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    address_hash: Mapped[str | None] = mapped_column(String(32))
    sealed_with: Mapped[int | None] = mapped_column(Integer, index=True)
    # Who typed /email for a sign-up still waiting: a keyed hash of the chat, never its id,
    # so that the chat's /forget takes the sign-up with it.
    requested_by: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str | None] = mapped_column(String(16))  # for Telegram: private, group ...
    mirror: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    state: Mapped[SubscriberState] = mapped_column(
        str_enum(SubscriberState), default=SubscriberState.PENDING
    )
    language: Mapped[str] = mapped_column(String(8), default="en")
    urgent_only: Mapped[bool] = mapped_column(Boolean, default=False)
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    confirm_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    unsubscribe_token: Mapped[str] = mapped_column(String(64), unique=True)
    confirmed_at: Mapped[datetime | None]
    # The reader's IANA time zone, when they chose one (reminders come at their hours).
    timezone: Mapped[str | None] = mapped_column(String(64))
    digest_hour: Mapped[int] = mapped_column(Integer, default=8, server_default="8")
    last_digest_at: Mapped[datetime | None]

    followed: Mapped[list[Case]] = relationship(
        secondary=subscriber_cases, order_by="Case.name", lazy="raise"
    )
    country_filter: Mapped[list[SubscriberCountry]] = relationship(
        cascade="all, delete-orphan", order_by="SubscriberCountry.country", lazy="raise"
    )

    @property
    def countries(self) -> list[str]:
        """Return the countries this subscriber limits appeals to (empty: every country)."""
        return sorted(row.country for row in self.country_filter)


class SubscriberCountry(Base):
    """One country a subscriber wants appeals about."""

    __tablename__ = "subscriber_countries"

    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True
    )
    country: Mapped[str] = mapped_column(String(2), primary_key=True, index=True)
