"""Cases: a person or a campaign that appeals are about."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.enums import CaseStatus
from storage.models.base import Base, Timestamps
from storage.types import str_enum

if TYPE_CHECKING:
    from storage.models.appeal import Appeal
    from storage.models.text import CaseText


class Case(Timestamps, Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    place: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus), default=CaseStatus.OPEN)
    summary: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    # How a letter names it ("the case of Ainur Kurmanov"; None: made from its name).
    about: Mapped[str | None] = mapped_column(String(300))

    names: Mapped[list[CaseName]] = relationship(
        back_populates="case",
        cascade="all, delete-orphan",
        order_by="CaseName.id",
        lazy="raise",
    )
    appeals: Mapped[list[Appeal]] = relationship(
        secondary="appeal_cases", back_populates="cases", lazy="raise"
    )
    texts: Mapped[list[CaseText]] = relationship(
        cascade="all, delete-orphan", order_by="CaseText.language", lazy="raise"
    )

    def text_in(self, language: str) -> CaseText | None:
        """Return the case's words in another language (None: not written)."""
        return next((text for text in self.texts if text.language == language), None)


class CaseName(Base):
    """One way a case's name is written: the main name, an alias or a spelling."""

    __tablename__ = "case_names"
    __table_args__ = (UniqueConstraint("case_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    search_key: Mapped[str] = mapped_column(String(200), index=True)
    # A source's misspelling is kept so that search finds it, never shown to readers.
    shown: Mapped[bool] = mapped_column(default=True, server_default=true())

    case: Mapped[Case] = relationship(back_populates="names", lazy="raise")
