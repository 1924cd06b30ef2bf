"""Drafts: an appeal an admin is putting together in a chat; survives restarts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.enums import AppealKind
from storage.models.base import Base, Timestamps
from storage.types import str_enum


class Draft(Timestamps, Base):
    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("admin_id", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    step: Mapped[str] = mapped_column(String(32))
    kind: Mapped[AppealKind] = mapped_column(str_enum(AppealKind), default=AppealKind.APPEAL)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
