"""locations: stock is held per location, and each order line remembers where

A `default` location holds every stock row and adjustment that existed before (its
country is the shop's, `ORDERS_DEFAULT_COUNTRY`, US unless set). Inventory is keyed
by (location, sku); `order_allocations` records how many units of each order line are
held at which location, so that they are released, shipped and restocked there.
Orders placed before this have no allocation rows: their units are at `default`.

Downgrade folds every location's stock back into one row per sku.

Revision ID: 0010
Revises: 0009
"""

import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "locations",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("priority", sa.Integer(), server_default=sa.text("100"), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
    )
    country = os.environ.get("ORDERS_DEFAULT_COUNTRY", "US").upper()[:2]
    op.execute(
        sa.text(
            "INSERT INTO locations (id, name, country, priority) "
            "VALUES ('default', 'Default', :country, 100)"
        ).bindparams(country=country)
    )
    op.add_column(
        "inventory",
        sa.Column("location_id", sa.String(40), server_default="default", nullable=False),
    )
    op.drop_constraint("pk_inventory", "inventory", type_="primary")
    op.create_primary_key("pk_inventory", "inventory", ["location_id", "sku"])
    op.create_foreign_key(
        op.f("fk_inventory_location_id_locations"),
        "inventory",
        "locations",
        ["location_id"],
        ["id"],
    )
    op.add_column(
        "inventory_adjustments",
        sa.Column("location_id", sa.String(40), server_default="default", nullable=False),
    )
    op.create_foreign_key(
        op.f("fk_inventory_adjustments_location_id_locations"),
        "inventory_adjustments",
        "locations",
        ["location_id"],
        ["id"],
    )
    op.create_table(
        "order_allocations",
        sa.Column("order_id", sa.String(40), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.String(40), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_allocations_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_order_allocations_location_id_locations"),
        ),
        sa.PrimaryKeyConstraint(
            "order_id", "line_no", "location_id", name=op.f("pk_order_allocations")
        ),
    )


def downgrade() -> None:
    op.drop_table("order_allocations")
    op.drop_constraint(
        op.f("fk_inventory_adjustments_location_id_locations"),
        "inventory_adjustments",
        type_="foreignkey",
    )
    op.drop_column("inventory_adjustments", "location_id")
    # One row per sku again, holding what every location held.
    op.execute(
        "UPDATE inventory i SET on_hand = t.on_hand, reserved = t.reserved "
        "FROM (SELECT sku, sum(on_hand) AS on_hand, sum(reserved) AS reserved "
        "      FROM inventory GROUP BY sku) t "
        "WHERE i.sku = t.sku AND i.location_id = 'default'"
    )
    op.execute(
        "INSERT INTO inventory (sku, on_hand, reserved, location_id) "
        "SELECT sku, sum(on_hand), sum(reserved), 'default' FROM inventory "
        "GROUP BY sku HAVING bool_and(location_id <> 'default')"
    )
    op.execute("DELETE FROM inventory WHERE location_id <> 'default'")
    op.drop_constraint(op.f("fk_inventory_location_id_locations"), "inventory", type_="foreignkey")
    op.drop_constraint("pk_inventory", "inventory", type_="primary")
    op.create_primary_key("pk_inventory", "inventory", ["sku"])
    op.drop_column("inventory", "location_id")
    op.drop_table("locations")
