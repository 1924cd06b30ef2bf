"""other languages: appeal and case texts, event labels, offices' languages, progress language

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appeal_texts",
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("letter_facts", sa.Text(), nullable=True),
        sa.Column("demands", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeals.id"],
            name=op.f("fk_appeal_texts_appeal_id_appeals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("appeal_id", "language", name=op.f("pk_appeal_texts")),
    )
    op.create_table(
        "case_texts",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("place", sa.String(200), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_texts_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", "language", name=op.f("pk_case_texts")),
    )
    with op.batch_alter_table("appeal_events") as batch:
        batch.add_column(sa.Column("labels", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("broadcasts") as batch:
        batch.add_column(
            sa.Column("progress_language", sa.String(8), nullable=False, server_default="en")
        )
    with op.batch_alter_table("targets") as batch:
        batch.add_column(sa.Column("languages", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("texts", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("targets") as batch:
        batch.drop_column("texts")
        batch.drop_column("languages")
    with op.batch_alter_table("broadcasts") as batch:
        batch.drop_column("progress_language")
    with op.batch_alter_table("appeal_events") as batch:
        batch.drop_column("labels")
    op.drop_table("case_texts")
    op.drop_table("appeal_texts")
