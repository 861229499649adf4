"""every sku's on_hand is explained by its adjustments: an opening-stock entry for each

Stock rows created before this were not recorded as adjustments. Each sku gets one
adjustment that makes `on_hand = sum(adjustments) - units that left with parcels`
hold, so the invariant check can hold every later change of on_hand to account.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REASON = "opening stock (migration 0007)"


def upgrade() -> None:
    op.execute(
        f"""
        INSERT INTO inventory_adjustments (sku, delta, reason, on_hand_after, actor_id)
        SELECT s.sku,
               s.on_hand + coalesce(shipped.units, 0) - coalesce(adjusted.units, 0),
               '{REASON}', s.on_hand, NULL
        FROM inventory s
        LEFT JOIN (SELECT sku, sum(delta) AS units FROM inventory_adjustments GROUP BY sku)
            adjusted ON adjusted.sku = s.sku
        LEFT JOIN (
            SELECT l.sku, sum(l.quantity) AS units
            FROM order_lines l JOIN orders o ON o.id = l.order_id
            WHERE o.stock_status = 'committed'
            GROUP BY l.sku
        ) shipped ON shipped.sku = s.sku
        WHERE s.on_hand + coalesce(shipped.units, 0) - coalesce(adjusted.units, 0) <> 0
        """
    )


def downgrade() -> None:
    op.execute(f"DELETE FROM inventory_adjustments WHERE reason = '{REASON}'")
