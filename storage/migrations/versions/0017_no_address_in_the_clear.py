"""sealed addresses, step two: once every address is sealed, the clear columns go

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 23:41:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    for table in ("subscribers", "deliveries"):
        left = bind.execute(
            sa.text(f"SELECT count(*) FROM {table} WHERE address IS NOT NULL")
        ).scalar_one()
        if left:
            raise RuntimeError(
                f"{left} addresses in {table} are not sealed yet: run `appealbot db upgrade`, "
                "which seals them with the data key before this step"
            )
    with op.batch_alter_table("subscribers", schema=None) as batch:
        batch.drop_constraint("uq_subscribers_channel_address", type_="unique")
        batch.drop_column("address")
    with op.batch_alter_table("deliveries", schema=None) as batch:
        batch.drop_constraint("uq_deliveries_appeal_id_purpose_address", type_="unique")
        batch.drop_column("address")


def downgrade() -> None:
    # The addresses stay sealed: a downgrade gives back the columns, and `appealbot db
    # upgrade` finds nothing to seal in them.
    with op.batch_alter_table("deliveries", schema=None) as batch:
        batch.add_column(sa.Column("address", sa.String(length=320), nullable=True))
        batch.create_unique_constraint(
            "uq_deliveries_appeal_id_purpose_address", ["appeal_id", "purpose", "address"]
        )
    with op.batch_alter_table("subscribers", schema=None) as batch:
        batch.add_column(sa.Column("address", sa.String(length=320), nullable=True))
        batch.create_unique_constraint("uq_subscribers_channel_address", ["channel", "address"])
