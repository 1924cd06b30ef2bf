"""progress messages through the outbox: the id of an admin's progress message is kept on
its delivery row, as a mirror's post is

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 14:44:08.443593
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_column("progress_message_id")


def downgrade() -> None:
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("progress_message_id", sa.BigInteger(), nullable=True))
