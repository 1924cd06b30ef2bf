"""what is inferred, and said in other languages: appeal and link inferences, link texts,
spellings kept for search only, a safety note per appeal, how a letter names a case

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 09:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("appeals") as batch:
        batch.add_column(sa.Column("inferred", sa.Text(), nullable=True))
        batch.add_column(sa.Column("safety_note", sa.Text(), nullable=True))
    with op.batch_alter_table("appeal_texts") as batch:
        batch.add_column(sa.Column("inferred", sa.Text(), nullable=True))
        batch.add_column(sa.Column("safety_note", sa.Text(), nullable=True))
    with op.batch_alter_table("appeal_cases") as batch:
        batch.add_column(sa.Column("inferred", sa.Text(), nullable=True))
        batch.add_column(sa.Column("texts", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("appeal_targets") as batch:
        batch.add_column(sa.Column("notes", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("about", sa.String(300), nullable=True))
    with op.batch_alter_table("case_texts") as batch:
        batch.add_column(sa.Column("about", sa.String(300), nullable=True))
    with op.batch_alter_table("case_names") as batch:
        batch.add_column(sa.Column("shown", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("case_names") as batch:
        batch.drop_column("shown")
    with op.batch_alter_table("case_texts") as batch:
        batch.drop_column("about")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("about")
    with op.batch_alter_table("appeal_targets") as batch:
        batch.drop_column("notes")
    with op.batch_alter_table("appeal_cases") as batch:
        batch.drop_column("texts")
        batch.drop_column("inferred")
    with op.batch_alter_table("appeal_texts") as batch:
        batch.drop_column("safety_note")
        batch.drop_column("inferred")
    with op.batch_alter_table("appeals") as batch:
        batch.drop_column("safety_note")
        batch.drop_column("inferred")
