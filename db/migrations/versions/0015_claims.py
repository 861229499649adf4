"""claims: delivered units compensated without coming back

A claim refunds its units' value (through the refunds ledger) or replaces them with a
new parcel of the order (`shipment_number`, a row of `shipments` at no charge).

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("order_id", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("items", postgresql.JSONB(), nullable=False),
        sa.Column("refund_id", sa.String(40)),
        sa.Column("shipment_number", sa.Integer()),
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
            ["order_id"], ["orders.id"], name=op.f("fk_claims_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_claims_refund_id_refunds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("order_id", "idempotency_key", name=op.f("uq_claims_order_id")),
    )
    op.create_index(op.f("ix_claims_order_id"), "claims", ["order_id"])
    op.create_index(op.f("ix_claims_status"), "claims", ["status"])


def downgrade() -> None:
    op.drop_table("claims")
