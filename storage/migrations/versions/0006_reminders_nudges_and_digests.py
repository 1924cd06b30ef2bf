"""reminders, deadline nudges and digests: notices on deliveries, readers' zones and hours

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 21:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("notice", sa.String(40), nullable=False, server_default=""))
        batch.add_column(sa.Column("late", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.drop_constraint("uq_deliveries_appeal_id_subscriber_id_channel", type_="unique")
        batch.create_unique_constraint(
            "uq_deliveries_appeal_id_subscriber_id_channel_purpose_notice",
            ["appeal_id", "subscriber_id", "channel", "purpose", "notice"],
        )
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("timezone", sa.String(64), nullable=True))
        batch.add_column(sa.Column("digest_hour", sa.Integer(), nullable=False, server_default="8"))
        batch.add_column(sa.Column("last_digest_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("appeals") as batch:
        batch.add_column(
            sa.Column("reminders", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("appeals") as batch:
        batch.drop_column("reminders")
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("last_digest_at")
        batch.drop_column("digest_hour")
        batch.drop_column("timezone")
    op.execute("DELETE FROM deliveries WHERE purpose IN ('reminder', 'nudge') OR notice != ''")
    op.execute("UPDATE deliveries SET state = 'pending' WHERE state = 'held'")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint(
            "uq_deliveries_appeal_id_subscriber_id_channel_purpose_notice", type_="unique"
        )
        batch.create_unique_constraint(
            "uq_deliveries_appeal_id_subscriber_id_channel",
            ["appeal_id", "subscriber_id", "channel"],
        )
        batch.drop_column("late")
        batch.drop_column("notice")
