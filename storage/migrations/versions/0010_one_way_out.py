"""one way out: subscribers and deliveries carry a channel and an address it understands

Mirrors (the Telegram channel, and any place everything published is posted) become
subscribers of their own; deliveries may carry no appeal (a sign-up's confirmation, a digest),
a priority lane, the digest that carries held rows, and the id the channel gave a post.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("address", sa.String(320), nullable=True))
        batch.add_column(sa.Column("kind", sa.String(16), nullable=True))
        batch.add_column(
            sa.Column("mirror", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        "UPDATE subscribers SET address = COALESCE(CAST(chat_id AS VARCHAR(30)), email), "
        "kind = chat_type"
    )
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_constraint("uq_subscribers_chat_id", type_="unique")
        batch.drop_constraint("uq_subscribers_email", type_="unique")
        batch.drop_column("chat_id")
        batch.drop_column("chat_type")
        batch.drop_column("email")
        batch.create_unique_constraint("uq_subscribers_channel_address", ["channel", "address"])

    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("address", sa.String(320), nullable=True))
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(
            sa.Column(
                "bundle_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch.add_column(sa.Column("external_id", sa.String(100), nullable=True))
    # The channel mirror's posts become deliveries to a mirror subscriber of its own.
    op.execute(
        "INSERT INTO subscribers (channel, address, kind, mirror, state, language, urgent_only, "
        "digest, unsubscribe_token, digest_hour, created_at, updated_at) "
        "SELECT 'telegram', CAST(chat_id AS VARCHAR(30)), 'channel', "
        f"{_true()}, 'active', 'en', {_false()}, {_false()}, "
        "'mirror-' || CAST(chat_id AS VARCHAR(30)), 8, MIN(created_at), MIN(created_at) "
        "FROM deliveries WHERE purpose = 'channel' AND chat_id IS NOT NULL GROUP BY chat_id"
    )
    op.execute(
        "UPDATE deliveries SET subscriber_id = (SELECT s.id FROM subscribers s WHERE s.mirror "
        "AND s.address = CAST(deliveries.chat_id AS VARCHAR(30))), priority = 0, "
        "external_id = (SELECT CAST(a.channel_message_id AS VARCHAR(30)) FROM appeals a "
        "WHERE a.id = deliveries.appeal_id), purpose = 'appeal' WHERE purpose = 'channel'"
    )
    op.execute(
        "UPDATE deliveries SET address = CAST(chat_id AS VARCHAR(30)) WHERE chat_id IS NOT NULL"
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint("uq_deliveries_appeal_id_purpose_chat_id", type_="unique")
        batch.drop_index("ix_deliveries_due")
        batch.drop_column("chat_id")
        batch.alter_column("appeal_id", existing_type=sa.Integer(), nullable=True)
        batch.create_unique_constraint(
            "uq_deliveries_appeal_id_purpose_address", ["appeal_id", "purpose", "address"]
        )
        batch.create_foreign_key(
            "fk_deliveries_bundle_id_deliveries",
            "deliveries",
            ["bundle_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_deliveries_due", ["state", "priority", "next_attempt_at"])
        batch.create_index("ix_deliveries_bundle_id", ["bundle_id"])
    with op.batch_alter_table("appeals") as batch:
        batch.drop_column("channel_message_id")


def _true() -> str:
    return "TRUE" if op.get_bind().dialect.name == "postgresql" else "1"


def _false() -> str:
    return "FALSE" if op.get_bind().dialect.name == "postgresql" else "0"


def downgrade() -> None:
    with op.batch_alter_table("appeals") as batch:
        batch.add_column(sa.Column("channel_message_id", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE appeals SET channel_message_id = (SELECT CAST(d.external_id AS BIGINT) FROM "
        "deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE s.mirror AND "
        "s.channel = 'telegram' AND d.appeal_id = appeals.id AND d.external_id IS NOT NULL "
        "LIMIT 1)"
    )
    # What has no appeal (confirmations, digests) or goes to another channel cannot go back.
    op.execute(
        "DELETE FROM deliveries WHERE appeal_id IS NULL OR purpose NOT IN "
        "('appeal', 'reminder', 'nudge') OR channel NOT IN ('telegram', 'email')"
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE deliveries SET chat_id = CAST((SELECT s.address FROM subscribers s WHERE "
        "s.id = deliveries.subscriber_id) AS BIGINT), subscriber_id = NULL, purpose = 'channel' "
        "WHERE subscriber_id IN (SELECT id FROM subscribers WHERE mirror)"
    )
    op.execute(
        "UPDATE deliveries SET chat_id = CAST(address AS BIGINT) "
        "WHERE address IS NOT NULL AND chat_id IS NULL"
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("ix_deliveries_bundle_id")
        batch.drop_index("ix_deliveries_due")
        batch.drop_constraint("fk_deliveries_bundle_id_deliveries", type_="foreignkey")
        batch.drop_constraint("uq_deliveries_appeal_id_purpose_address", type_="unique")
        batch.alter_column("appeal_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("external_id")
        batch.drop_column("bundle_id")
        batch.drop_column("priority")
        batch.drop_column("address")
        batch.create_unique_constraint(
            "uq_deliveries_appeal_id_purpose_chat_id", ["appeal_id", "purpose", "chat_id"]
        )
        batch.create_index("ix_deliveries_due", ["state", "next_attempt_at"])
    op.execute("DELETE FROM subscribers WHERE mirror OR channel NOT IN ('telegram', 'email')")
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("chat_type", sa.String(16), nullable=True))
        batch.add_column(sa.Column("email", sa.String(320), nullable=True))
    op.execute(
        "UPDATE subscribers SET chat_id = CASE WHEN channel = 'telegram' THEN "
        "CAST(address AS BIGINT) END, email = CASE WHEN channel = 'email' THEN address END, "
        "chat_type = kind"
    )
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_constraint("uq_subscribers_channel_address", type_="unique")
        batch.drop_column("mirror")
        batch.drop_column("kind")
        batch.drop_column("address")
        batch.create_unique_constraint("uq_subscribers_chat_id", ["chat_id"])
        batch.create_unique_constraint("uq_subscribers_email", ["email"])
