"""Publishers' feeds admins follow, and what became of each of their items."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.timing import system_clock
from storage.enums import ItemOutcome, SourceState
from storage.models.base import Base
from storage.types import str_enum


class Source(Base):
    """A feed (RSS or Atom) polled for new appeals, with what its polls found."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)  # as the admin gave it
    feed_url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str | None] = mapped_column(String(300))
    state: Mapped[SourceState] = mapped_column(str_enum(SourceState), default=SourceState.ACTIVE)
    etag: Mapped[str | None] = mapped_column(String(300))
    modified: Mapped[str | None] = mapped_column(String(100))
    checked_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    seen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    drafts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    skipped: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=system_clock)


class SourceItem(Base):
    """One item of a source's feed, seen once: what it became, and a fingerprint of its
    text so that the same appeal from another publisher makes no second draft.

    A draft is kept here, not as an appeal, until an admin takes it into their review: so
    an item nobody publishes leaves no case or office behind.
    """

    __tablename__ = "source_items"
    __table_args__ = (UniqueConstraint("source_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))  # a hash of the item's id or link
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[ItemOutcome] = mapped_column(str_enum(ItemOutcome))
    reason: Mapped[str | None] = mapped_column(String(200))
    # What the draft says (DraftData), while it waits for an admin; emptied when taken.
    data: Mapped[dict[str, Any] | None]
    # A known case the item is about: the draft is offered as an update of it.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    seen_at: Mapped[datetime] = mapped_column(default=system_clock)
