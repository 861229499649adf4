"""an outbox row for every timeline entry, and a notification when one is added

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "order_outbox",
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["order_events.id"],
            name=op.f("fk_order_outbox_event_id_order_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_order_outbox")),
    )
    op.create_index("ix_order_outbox_order_id_event_id", "order_outbox", ["order_id", "event_id"])
    # Wakes the relay (LISTEN order_outbox) when a transaction that added rows commits;
    # PostgreSQL folds the notifications of one transaction into one.
    op.execute(
        """
        CREATE FUNCTION notify_order_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('order_outbox', '');
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER order_outbox_added AFTER INSERT ON order_outbox "
        "FOR EACH STATEMENT EXECUTE FUNCTION notify_order_outbox()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER order_outbox_added ON order_outbox")
    op.execute("DROP FUNCTION notify_order_outbox()")
    op.drop_index("ix_order_outbox_order_id_event_id", table_name="order_outbox")
    op.drop_table("order_outbox")
