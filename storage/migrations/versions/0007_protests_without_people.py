"""privacy: protests counted by keyed hash, leavers kept only as counts, refusals unattributed

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:30:00.000000
"""

import hashlib
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing taps are hashed under a key that is thrown away at once: they stay counted,
    # and nobody, not even the operator, can tell any more who made them.
    key = secrets.token_bytes(32)
    with op.batch_alter_table("actions") as batch:
        batch.add_column(sa.Column("taker", sa.String(64), nullable=True))
    actions = sa.table(
        "actions", sa.column("id", sa.Integer), sa.column("user_id", sa.BigInteger),
        sa.column("appeal_id", sa.Integer), sa.column("taker", sa.String),
    )  # fmt: skip
    connection = op.get_bind()
    for row_id, user_id, appeal_id in connection.execute(
        sa.select(actions.c.id, actions.c.user_id, actions.c.appeal_id)
    ).all():
        taker = hashlib.sha256(key + f"{user_id}:{appeal_id}".encode()).hexdigest()
        connection.execute(actions.update().where(actions.c.id == row_id).values(taker=taker))
    with op.batch_alter_table("actions") as batch:
        batch.drop_constraint("uq_actions_appeal_id_user_id", type_="unique")
        batch.drop_index("ix_actions_user_id")
        batch.drop_column("user_id")
        batch.alter_column("taker", existing_type=sa.String(64), nullable=False)
        batch.create_unique_constraint("uq_actions_appeal_id_taker", ["appeal_id", "taker"])
    # Those who left are counted, not kept: no chat id, no address, no choices.
    left = "state IN ('unsubscribed', 'blocked', 'bounced')"
    op.execute(
        f"DELETE FROM subscriber_cases WHERE subscriber_id IN "
        f"(SELECT id FROM subscribers WHERE {left})"
    )
    op.execute(
        f"DELETE FROM subscriber_countries WHERE subscriber_id IN "
        f"(SELECT id FROM subscribers WHERE {left})"
    )
    op.execute(
        f"UPDATE subscribers SET chat_id = NULL, email = NULL, timezone = NULL, "
        f"confirm_token = NULL WHERE {left}"
    )
    # Thank-yous went to a list of protesters; they now go to a case's followers.
    op.execute("DELETE FROM deliveries WHERE purpose = 'thanks'")
    op.execute("UPDATE audit_log SET actor_id = NULL, actor = 'non-admin' WHERE allowed = false")


def downgrade() -> None:
    # The people behind the hashes cannot be brought back; the taps can only be dropped.
    op.execute("DELETE FROM actions")
    with op.batch_alter_table("actions") as batch:
        batch.drop_constraint("uq_actions_appeal_id_taker", type_="unique")
        batch.drop_column("taker")
        batch.add_column(sa.Column("user_id", sa.BigInteger(), nullable=False))
        batch.create_index("ix_actions_user_id", ["user_id"])
        batch.create_unique_constraint("uq_actions_appeal_id_user_id", ["appeal_id", "user_id"])
