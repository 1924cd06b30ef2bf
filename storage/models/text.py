"""Appeals and cases in other languages: what a reader or a letter reads in theirs."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class AppealText(Base):
    """An appeal's words in one more language (its original stays on the appeal)."""

    __tablename__ = "appeal_texts"

    appeal_id: Mapped[int] = mapped_column(
        ForeignKey("appeals.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    letter_facts: Mapped[str | None] = mapped_column(Text)
    inferred: Mapped[str | None] = mapped_column(Text)
    safety_note: Mapped[str | None] = mapped_column(Text)
    # The demands in this language, in the order of the appeal's own (empty: not written).
    demands: Mapped[list[str]] = mapped_column(default=list)


class CaseText(Base):
    """A case's words in one more language."""

    __tablename__ = "case_texts"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    place: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    about: Mapped[str | None] = mapped_column(String(300))
