"""order_edits: each edit of an order before fulfillment, from its hold to its outcome

An edit first holds the units it adds (`pending`), then is `applied` (the order takes
the new lines, address and total, and lets go of the units it no longer needs) or
`abandoned` (a declined payment: the units it held go back). The plan each step
follows is kept with it, so a retried step does exactly what the first one did.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "order_edits",
        sa.Column("id", sa.String(80), nullable=False),
        sa.Column("order_id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("plan", JSONB(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_edits_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_edits")),
    )
    op.create_index(op.f("ix_order_edits_order_id"), "order_edits", ["order_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_order_edits_order_id"), table_name="order_edits")
    op.drop_table("order_edits")
