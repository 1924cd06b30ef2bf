"""admins, drafts and thank-you deliveries

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 05:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUBSCRIBER_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "admins",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_admins")),
    )
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("admin_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("appeal", "update", "outcome", name="appealkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_drafts_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
        sa.UniqueConstraint("admin_id", "chat_id", name=op.f("uq_drafts_admin_id_chat_id")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "purpose",
                sa.Enum("appeal", "thanks", name="deliverypurpose", native_enum=False, length=20),
                nullable=False,
                server_default="appeal",
            )
        )
        batch_op.alter_column("subscriber_id", existing_type=SUBSCRIBER_ID, nullable=True)
        batch_op.create_unique_constraint(
            batch_op.f("uq_deliveries_appeal_id_purpose_chat_id"),
            ["appeal_id", "purpose", "chat_id"],
        )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.alter_column("purpose", server_default=None)


def downgrade() -> None:
    op.execute("DELETE FROM deliveries WHERE subscriber_id IS NULL")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_deliveries_appeal_id_purpose_chat_id"), type_="unique"
        )
        batch_op.alter_column("subscriber_id", existing_type=SUBSCRIBER_ID, nullable=False)
        batch_op.drop_column("purpose")
        batch_op.drop_column("chat_id")
    op.drop_table("drafts")
    op.drop_table("admins")
