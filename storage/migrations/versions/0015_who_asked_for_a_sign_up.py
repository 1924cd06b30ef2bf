"""who asked for an email sign-up: a keyed hash of the chat that typed /email, so that the
chat's /forget takes the pending sign-up too (the chat id itself is never stored with it)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requested_by", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_subscribers_requested_by", ["requested_by"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_index("ix_subscribers_requested_by")
        batch_op.drop_column("requested_by")
