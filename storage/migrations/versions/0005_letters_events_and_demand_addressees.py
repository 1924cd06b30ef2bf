"""letters per target: demand addressees, solidarity points, event kinds, letter facts

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 18:00:00.000000
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_KINDS = (
    "arrest",
    "attack",
    "charge",
    "hearing",
    "trial",
    "verdict",
    "release",
    "protest",
    "outcome",
    "other",
)


# Two shipped seeds were dated wrongly and renamed; a database seeded from them gets the
# new name and date (unless an admin changed the date), so that seeding adds no copy.
RENAMED = (
    (
        "2008-06-kurmanov-shanyrak",
        date(2008, 6, 1),
        "2007-04-20-kurmanov-shanyrak",
        date(2007, 4, 20),
    ),
    (
        "2011-05-socialist-action-statement",
        date(2011, 5, 1),
        "2011-05-20-socialist-action-statement",
        date(2011, 5, 20),
    ),
)


def _rename_seeded() -> None:
    appeals = sa.table(
        "appeals",
        sa.column("slug", sa.String),
        sa.column("issued_on", sa.Date),
        sa.column("issued_precision", sa.String),
    )
    for old_slug, old_date, new_slug, new_date in RENAMED:
        op.execute(
            appeals.update()
            .where(appeals.c.slug == old_slug, appeals.c.issued_on == old_date)
            .values(slug=new_slug, issued_on=new_date, issued_precision="day")
        )


def upgrade() -> None:
    _rename_seeded()
    with op.batch_alter_table("appeals") as batch:
        batch.add_column(sa.Column("letter_facts", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("summary_pasted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("appeal_cases") as batch:
        batch.add_column(sa.Column("letter_facts", sa.Text(), nullable=True))
    with op.batch_alter_table("demands") as batch:
        batch.add_column(
            sa.Column("solidarity", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("case_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_demands_case_id_cases"), "cases", ["case_id"], ["id"], ondelete="SET NULL"
        )
    with op.batch_alter_table("appeal_events") as batch:
        batch.add_column(
            sa.Column(
                "precision",
                sa.Enum("day", "month", "year", name="dateprecision", native_enum=False, length=20),
                nullable=False,
                server_default="day",
            )
        )
        batch.add_column(
            sa.Column(
                "kind",
                sa.Enum(*EVENT_KINDS, name="eventkind", native_enum=False, length=20),
                nullable=False,
                server_default="other",
            )
        )
        batch.add_column(sa.Column("case_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_appeal_events_case_id_cases"),
            "cases",
            ["case_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "demand_targets",
        sa.Column("demand_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["demand_id"],
            ["demands.id"],
            name=op.f("fk_demand_targets_demand_id_demands"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["targets.id"],
            name=op.f("fk_demand_targets_target_id_targets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("demand_id", "target_id", name=op.f("pk_demand_targets")),
    )


def downgrade() -> None:
    op.drop_table("demand_targets")
    with op.batch_alter_table("appeal_events") as batch:
        batch.drop_constraint(batch.f("fk_appeal_events_case_id_cases"), type_="foreignkey")
        batch.drop_column("case_id")
        batch.drop_column("kind")
        batch.drop_column("precision")
    with op.batch_alter_table("demands") as batch:
        batch.drop_constraint(batch.f("fk_demands_case_id_cases"), type_="foreignkey")
        batch.drop_column("case_id")
        batch.drop_column("solidarity")
    with op.batch_alter_table("appeal_cases") as batch:
        batch.drop_column("letter_facts")
    with op.batch_alter_table("appeals") as batch:
        batch.drop_column("summary_pasted")
        batch.drop_column("letter_facts")
