"""early carrier news: what a carrier reports before the parcel's booking is recorded

`early_carrier_news` holds such news until the booking's transaction takes it;
`orders.keeps_early_news` marks the orders whose workflow takes it from the booking's
answer (orders started before keep having it signalled).

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "orders",
        sa.Column("keeps_early_news", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "early_carrier_news",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column(
            "order_id",
            sa.String(40),
            sa.ForeignKey("orders.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("tracking_number", sa.String(64), nullable=False),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("occurred_at", sa.String(40), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
    )
    op.create_index("ix_early_carrier_news_order_id", "early_carrier_news", ["order_id"])


def downgrade() -> None:
    op.drop_table("early_carrier_news")
    op.drop_column("orders", "keeps_early_news")
