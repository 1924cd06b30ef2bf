"""Appeals: dated calls to action, with their demands, events and targets."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.enums import (
    AppealKind,
    AppealStatus,
    DatePrecision,
    EventKind,
    TargetKind,
    Urgency,
)
from storage.models.base import Base, Timestamps
from storage.types import str_enum

if TYPE_CHECKING:
    from storage.models.case import Case
    from storage.models.target import Target
    from storage.models.text import AppealText

appeal_cases = Table(
    "appeal_cases",
    Base.metadata,
    Column("appeal_id", ForeignKey("appeals.id", ondelete="CASCADE"), primary_key=True),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, index=True),
    # The facts of this case, in a sentence or two written for a letter to an official.
    Column("letter_facts", Text, nullable=True),
    # Why the network links this appeal to this case when the appeal does not say so (None:
    # the appeal names the case itself).
    Column("inferred", Text, nullable=True),
    # Both in other languages: {"ru": {"letter_facts": ..., "inferred": ...}}.
    Column("texts", JSON, nullable=False, server_default="{}"),
)

demand_targets = Table(
    "demand_targets",
    Base.metadata,
    Column("demand_id", ForeignKey("demands.id", ondelete="CASCADE"), primary_key=True),
    Column("target_id", ForeignKey("targets.id", ondelete="CASCADE"), primary_key=True),
)


class Appeal(Timestamps, Base):
    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    kind: Mapped[AppealKind] = mapped_column(str_enum(AppealKind), default=AppealKind.APPEAL)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("appeals.id", ondelete="SET NULL"))
    urgency: Mapped[Urgency] = mapped_column(str_enum(Urgency), default=Urgency.NORMAL)
    status: Mapped[AppealStatus] = mapped_column(
        str_enum(AppealStatus), default=AppealStatus.DRAFT, index=True
    )
    language: Mapped[str] = mapped_column(String(8), default="en")
    issued_on: Mapped[date | None]
    issued_precision: Mapped[DatePrecision] = mapped_column(
        str_enum(DatePrecision), default=DatePrecision.DAY
    )
    deadline: Mapped[date | None]
    source_name: Mapped[str | None] = mapped_column(String(200))
    source_url: Mapped[str | None] = mapped_column(String(500))
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    # The appeal's facts in a sentence or two for a letter about it as a whole (the summary
    # is for readers, never pasted into a letter).
    letter_facts: Mapped[str | None] = mapped_column(Text)
    # The summary is still the text as pasted; publishing asks an admin to confirm it.
    summary_pasted: Mapped[bool] = mapped_column(default=False)
    # Reminders of its court dates go to the people following its cases (an admin may stop them).
    reminders: Mapped[bool] = mapped_column(default=True, server_default=true())
    # What the record infers beyond its source ("today" read as its date), and why.
    inferred: Mapped[str | None] = mapped_column(Text)
    # Advice to letter writers for this appeal, in place of the network's (None: theirs).
    safety_note: Mapped[str | None] = mapped_column(Text)

    cases: Mapped[list[Case]] = relationship(
        secondary=appeal_cases, back_populates="appeals", order_by="Case.id", lazy="raise"
    )
    demands: Mapped[list[Demand]] = relationship(
        cascade="all, delete-orphan", order_by="Demand.position", lazy="raise"
    )
    events: Mapped[list[AppealEvent]] = relationship(
        cascade="all, delete-orphan", order_by="AppealEvent.on_date", lazy="raise"
    )
    targets: Mapped[list[AppealTarget]] = relationship(
        cascade="all, delete-orphan", order_by="AppealTarget.position", lazy="raise"
    )
    case_links: Mapped[list[AppealCase]] = relationship(
        viewonly=True, order_by="AppealCase.case_id", lazy="raise"
    )
    texts: Mapped[list[AppealText]] = relationship(
        cascade="all, delete-orphan", order_by="AppealText.language", lazy="raise"
    )

    def text_in(self, language: str) -> AppealText | None:
        """Return the appeal's words in a language other than its own (None: not written, or
        its own language, whose words are the appeal's)."""
        if language == self.language:
            return None
        return next((text for text in self.texts if text.language == language), None)


class AppealCase(Base):
    """An appeal's link to one of its cases, read for the facts a letter gives of it."""

    __table__ = appeal_cases

    appeal_id: Mapped[int]
    case_id: Mapped[int]
    letter_facts: Mapped[str | None]
    inferred: Mapped[str | None]
    texts: Mapped[dict[str, Any]]

    def said_in(self, language: str, field: str) -> str | None:
        """Return one of the link's words in a language (None: not written in it)."""
        said = (self.texts or {}).get(language, {}).get(field)
        return str(said) if said else None


class Demand(Base):
    __tablename__ = "demands"
    __table_args__ = (UniqueConstraint("appeal_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # A programme point or message of solidarity: shown apart, never put to an official.
    solidarity: Mapped[bool] = mapped_column(default=False)
    # The one case it is about (none: the appeal as a whole).
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    # Who can act on it (none named: every protest target of the appeal).
    addressees: Mapped[list[Target]] = relationship(
        secondary=demand_targets, order_by="Target.id", lazy="raise"
    )


class AppealEvent(Base):
    """A dated event named in an appeal: a trial, a hearing, an arrest."""

    __tablename__ = "appeal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    on_date: Mapped[date]
    precision: Mapped[DatePrecision] = mapped_column(
        str_enum(DatePrecision), default=DatePrecision.DAY
    )
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind), default=EventKind.OTHER)
    label: Mapped[str] = mapped_column(String(300))
    # The label in other languages than the appeal's own, by language.
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    # The one case it belongs to (none: every case of the appeal).
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))


class AppealTarget(Base):
    """Whom an appeal asks to write to, and in what role (protest, copy, embassy)."""

    __tablename__ = "appeal_targets"

    appeal_id: Mapped[int] = mapped_column(
        ForeignKey("appeals.id", ondelete="CASCADE"), primary_key=True
    )
    target_id: Mapped[int] = mapped_column(
        ForeignKey("targets.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    kind: Mapped[TargetKind] = mapped_column(str_enum(TargetKind))
    position: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    # The note in other languages than the appeal's own, by language.
    notes: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")

    target: Mapped[Target] = relationship(lazy="raise")
