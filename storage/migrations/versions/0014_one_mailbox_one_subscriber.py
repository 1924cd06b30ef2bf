"""one mailbox, one subscriber: email addresses are kept lower-cased, and the subscribers one
mailbox has under several spellings ("Victim@…", "victim@…") become one

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 16:05:00
"""

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

subscribers = sa.table(
    "subscribers",
    sa.column("id", sa.Integer),
    sa.column("channel", sa.String),
    sa.column("address", sa.String),
    sa.column("state", sa.String),
)
follows = sa.table("subscriber_cases", sa.column("subscriber_id"), sa.column("case_id"))
countries = sa.table("subscriber_countries", sa.column("subscriber_id"), sa.column("country"))
deliveries = sa.table("deliveries", sa.column("subscriber_id"))
# The row a mailbox keeps: a confirmed one before one that waits, before one that left.
_RANK = {"active": 0, "pending": 1}


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(subscribers.c.id, subscribers.c.address, subscribers.c.state).where(
            subscribers.c.channel == "email", subscribers.c.address.is_not(None)
        )
    ).all()
    mailboxes: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for row_id, address, state in rows:
        mailboxes[address.lower()].append((row_id, str(state).lower()))
    for mailbox, spellings in mailboxes.items():
        spellings.sort(key=lambda row: (_RANK.get(row[1], 2), row[0]))
        kept, others = spellings[0][0], [row_id for row_id, _state in spellings[1:]]
        if others:
            # The kept row follows what any of them followed, for the countries any chose.
            held_cases = {
                case
                for (case,) in connection.execute(
                    sa.select(follows.c.case_id).where(follows.c.subscriber_id == kept)
                )
            }
            for (case,) in connection.execute(
                sa.select(follows.c.case_id).where(follows.c.subscriber_id.in_(others))
            ).all():
                if case not in held_cases:
                    connection.execute(sa.insert(follows).values(subscriber_id=kept, case_id=case))
                    held_cases.add(case)
            held_countries = {
                code
                for (code,) in connection.execute(
                    sa.select(countries.c.country).where(countries.c.subscriber_id == kept)
                )
            }
            for (code,) in connection.execute(
                sa.select(countries.c.country).where(countries.c.subscriber_id.in_(others))
            ).all():
                if code not in held_countries:
                    connection.execute(
                        sa.insert(countries).values(subscriber_id=kept, country=code)
                    )
                    held_countries.add(code)
            for table in (follows, countries, deliveries):
                connection.execute(sa.delete(table).where(table.c.subscriber_id.in_(others)))
            connection.execute(sa.delete(subscribers).where(subscribers.c.id.in_(others)))
        connection.execute(
            sa.update(subscribers).where(subscribers.c.id == kept).values(address=mailbox)
        )


def downgrade() -> None:
    """Nothing to undo: one lower-cased address per mailbox is valid in the schema before."""
