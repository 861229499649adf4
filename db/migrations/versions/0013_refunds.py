"""refunds: every refund of an order, whatever caused it, as a ledger

A refund is recorded `pending` in the same transaction that checks it against what
was captured less what is refunded or being refunded, then handed to the provider
under its own idempotency key (`succeeded`), or given up past its bound (`failed`,
for an operator). `orders.refunded_total` sums the succeeded ones.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "refunds",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("order_id", sa.String(40), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reason", sa.String(30), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("provider_refund_id", sa.String(120)),
        sa.Column("failure", sa.Text()),
        sa.Column("requested_by", sa.String(80), nullable=False),
        sa.Column("idempotency_key", sa.String(300), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_refunds_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("order_id", "idempotency_key", name=op.f("uq_refunds_order_id")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refunds_positive")),
    )
    op.create_index(op.f("ix_refunds_status"), "refunds", ["status"])
    op.add_column(
        "orders",
        sa.Column("refunded_total", sa.BigInteger(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("orders", "refunded_total")
    op.drop_index(op.f("ix_refunds_status"), table_name="refunds")
    op.drop_table("refunds")
