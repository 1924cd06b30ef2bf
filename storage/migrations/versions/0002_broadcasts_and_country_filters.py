"""broadcasts and country filters

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:45:19.686665
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUBSCRIBER_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.BigInteger(), nullable=True),
        sa.Column("progress_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("progress_message_id", sa.BigInteger(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("paid", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeals.id"],
            name=op.f("fk_broadcasts_appeal_id_appeals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
        sa.UniqueConstraint("appeal_id", name=op.f("uq_broadcasts_appeal_id")),
    )
    op.create_index(op.f("ix_broadcasts_finished_at"), "broadcasts", ["finished_at"])

    countries = op.create_table(
        "subscriber_countries",
        sa.Column("subscriber_id", SUBSCRIBER_ID, nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_subscriber_countries_subscriber_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subscriber_id", "country", name=op.f("pk_subscriber_countries")),
    )
    op.create_index(op.f("ix_subscriber_countries_country"), "subscriber_countries", ["country"])

    # Move each subscriber's JSON list of countries into rows before the column goes.
    rows = op.get_bind().execute(sa.text("SELECT id, countries FROM subscribers")).all()
    copied = []
    for subscriber_id, stored in rows:
        codes = json.loads(stored) if isinstance(stored, str) else (stored or [])
        copied += [{"subscriber_id": subscriber_id, "country": code} for code in set(codes)]
    if copied:
        op.bulk_insert(countries, copied)

    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_column("countries")


def downgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("countries", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    op.drop_index(op.f("ix_subscriber_countries_country"), table_name="subscriber_countries")
    op.drop_table("subscriber_countries")
    op.drop_index(op.f("ix_broadcasts_finished_at"), table_name="broadcasts")
    op.drop_table("broadcasts")
