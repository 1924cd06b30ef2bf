"""sealed addresses, step one: columns for an address's ciphertext, its keyed hash and the
key's id, beside the clear one (filled in batches by `appealbot db upgrade`); which keys
have sealed this database (ids and dates only)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 23:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seal_keys",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seal_keys")),
    )
    with op.batch_alter_table("subscribers", schema=None) as batch:
        batch.add_column(sa.Column("address_sealed", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("address_hash", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("sealed_with", sa.Integer(), nullable=True))
        batch.create_index("ix_subscribers_sealed_with", ["sealed_with"], unique=False)
        batch.create_unique_constraint(
            "uq_subscribers_channel_address_hash", ["channel", "address_hash"]
        )
    with op.batch_alter_table("deliveries", schema=None) as batch:
        batch.add_column(sa.Column("address_sealed", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("address_hash", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("sealed_with", sa.Integer(), nullable=True))
        batch.create_unique_constraint(
            "uq_deliveries_appeal_id_purpose_address_hash", ["appeal_id", "purpose", "address_hash"]
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch:
        batch.drop_constraint("uq_deliveries_appeal_id_purpose_address_hash", type_="unique")
        batch.drop_column("sealed_with")
        batch.drop_column("address_hash")
        batch.drop_column("address_sealed")
    with op.batch_alter_table("subscribers", schema=None) as batch:
        batch.drop_constraint("uq_subscribers_channel_address_hash", type_="unique")
        batch.drop_index("ix_subscribers_sealed_with")
        batch.drop_column("sealed_with")
        batch.drop_column("address_hash")
        batch.drop_column("address_sealed")
    op.drop_table("seal_keys")
