"""shipments: an order ships as one parcel per location, each tracked on its own

Every order that held stock gets one shipment row per location its units are held
at. Orders placed before this ship as one parcel: they get one row holding all
their units, copied from the order's own shipment columns (which stay, describing
the first shipment). The rows of one parcel share its tracking number. Downgrade drops the table; the order's columns still hold
what a one-parcel order needs.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shipments",
        sa.Column("order_id", sa.String(40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.String(40), nullable=False),
        sa.Column("items", JSONB(), nullable=False),
        sa.Column("value_amount", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("units", sa.String(20), nullable=False),
        sa.Column("carrier", sa.String(40)),
        sa.Column("carrier_shipment_id", sa.String(64)),
        sa.Column("tracking_number", sa.String(64)),
        sa.Column("captured_amount", sa.BigInteger()),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_shipments_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_shipments_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("order_id", "number", name=op.f("pk_shipments")),
        sa.CheckConstraint("captured_amount >= 0", name=op.f("ck_shipments_captured")),
    )
    op.create_index(op.f("ix_shipments_tracking_number"), "shipments", ["tracking_number"])
    # One row per location the order's units are held at (all at `default` for orders
    # older than locations); such an order still ships as one parcel, so its rows share
    # the parcel's carrier id and tracking number.
    op.execute(
        """
        WITH placed AS (
            SELECT a.order_id, a.location_id, a.sku, sum(a.quantity) AS quantity,
                   min(a.line_no) AS first_line, max(l.unit_price_amount) AS price
            FROM order_allocations a
            JOIN order_lines l ON l.order_id = a.order_id AND l.line_no = a.line_no
            GROUP BY a.order_id, a.location_id, a.sku
            UNION ALL
            SELECT l.order_id, 'default', l.sku, sum(l.quantity), min(l.line_no),
                   max(l.unit_price_amount)
            FROM order_lines l
            WHERE NOT EXISTS (SELECT 1 FROM order_allocations a WHERE a.order_id = l.order_id)
            GROUP BY l.order_id, l.sku
        ), parcels AS (
            SELECT order_id, location_id, min(first_line) AS first_line,
                   jsonb_agg(jsonb_build_object('sku', sku, 'quantity', quantity)
                             ORDER BY first_line) AS items,
                   sum(quantity * price) AS value
            FROM placed GROUP BY order_id, location_id
        ), numbered AS (
            SELECT parcels.*, row_number() OVER (
                PARTITION BY order_id ORDER BY first_line, location_id) AS number
            FROM parcels
        )
        INSERT INTO shipments (order_id, number, location_id, items, value_amount, state,
                               units, carrier, carrier_shipment_id, tracking_number,
                               captured_amount)
        SELECT n.order_id, n.number, n.location_id, n.items, n.value,
               coalesce(o.shipment_status, 'pending'), o.stock_status, o.carrier,
               o.shipment_id, o.tracking_number,
               CASE WHEN o.payment_status IN ('captured', 'refunded')
                         AND o.shipment_id IS NOT NULL THEN n.value END
        FROM numbered n JOIN orders o ON o.id = n.order_id
        WHERE o.stock_status <> 'none'
        """
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_shipments_tracking_number"), table_name="shipments")
    op.drop_table("shipments")
