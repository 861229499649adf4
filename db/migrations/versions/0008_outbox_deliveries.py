"""a delivery row per sink: one failing sink no longer holds back the others

The relay moves each new outbox entry into one `outbox_deliveries` row per sink it
serves (customer email, RabbitMQ, Kafka). Each sink then keeps its own attempts,
retry time and per-order order; a row that keeps failing is parked (`parked_at`) for
an operator to retry or drop (`orders-admin outbox`).

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_deliveries",
        sa.Column(
            "event_id",
            sa.BigInteger(),
            sa.ForeignKey("order_events.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("sink", sa.String(40), primary_key=True),
        sa.Column("order_id", sa.String(40), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("last_error", sa.Text()),
        sa.Column("parked_at", sa.DateTime(timezone=True)),
    )
    # What each sink's loop asks for: its due rows, and the earlier rows of an order.
    op.create_index(
        "ix_outbox_deliveries_due",
        "outbox_deliveries",
        ["sink", "next_attempt_at"],
        postgresql_where=sa.text("parked_at IS NULL"),
    )
    op.create_index(
        "ix_outbox_deliveries_order",
        "outbox_deliveries",
        ["sink", "order_id", "event_id"],
        postgresql_where=sa.text("parked_at IS NULL"),
    )


def downgrade() -> None:
    # Rows not yet delivered go back to the outbox, once per entry.
    op.execute(
        "INSERT INTO order_outbox (event_id, order_id) "
        "SELECT DISTINCT event_id, order_id FROM outbox_deliveries ON CONFLICT DO NOTHING"
    )
    op.drop_table("outbox_deliveries")
