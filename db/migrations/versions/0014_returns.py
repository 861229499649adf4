"""returns: delivered units coming back, each return its own process

`returns` holds each return with its items (unit price, the locations the units
shipped from, what the warehouse found) and its label and refund; `shipments` learn
when they were delivered (a return window counts from it; delivered parcels of
before take their last change); products may be final sale or keep their own window.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("shipments", sa.Column("delivered_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE shipments SET delivered_at = updated_at WHERE state = 'delivered'")
    op.add_column(
        "products", sa.Column("returnable", sa.Boolean(), server_default="true", nullable=False)
    )
    op.add_column("products", sa.Column("return_window_days", sa.Integer()))
    op.create_table(
        "returns",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("order_id", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("items", postgresql.JSONB(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refund_id", sa.String(40)),
        sa.Column("refund_amount", sa.BigInteger()),
        sa.Column("label_carrier", sa.String(40)),
        sa.Column("label_tracking_number", sa.String(64)),
        sa.Column("label_shipment_id", sa.String(64)),
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
            ["order_id"], ["orders.id"], name=op.f("fk_returns_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_returns_refund_id_refunds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
        sa.UniqueConstraint("order_id", "idempotency_key", name=op.f("uq_returns_order_id")),
    )
    op.create_index(op.f("ix_returns_order_id"), "returns", ["order_id"])
    op.create_index(op.f("ix_returns_customer_id"), "returns", ["customer_id"])
    op.create_index(op.f("ix_returns_status"), "returns", ["status"])
    op.create_index(op.f("ix_returns_label_tracking_number"), "returns", ["label_tracking_number"])


def downgrade() -> None:
    op.drop_table("returns")
    op.drop_column("products", "return_window_days")
    op.drop_column("products", "returnable")
    op.drop_column("shipments", "delivered_at")
