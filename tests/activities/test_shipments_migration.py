"""Migration 0011 gives every order that held stock its parcels: one row per location
its units are held at, sharing the one parcel's tracking number for orders that
shipped before, with what was captured; it runs down and up again to the same rows."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import command
from sqlalchemy import text

from db.engine import make_engine
from db.migrate import alembic_config
from tests.scratch_database import scratch_database

BEFORE = [
    "INSERT INTO users (id, email, name, role, tier) "
    "VALUES ('usr_1', 'a@example.com', 'A', 'customer', 'standard')",
    "INSERT INTO products (sku, name, price_amount, currency, active) VALUES "
    "('A', 'A', 100, 'USD', true), ('B', 'B', 250, 'USD', true)",
    "INSERT INTO locations (id, name, country) VALUES ('east', 'East', 'DE')",
    # Shipped before parcels existed, its units held at two locations: one parcel.
    "INSERT INTO orders (id, customer_id, idempotency_key, fingerprint, status, currency, "
    "total_amount, shipping_address, stock_status, payment_status, authorization_id, "
    "shipment_id, shipment_status, carrier, tracking_number) VALUES ('ord_shipped', 'usr_1', "
    "'k1', 'f', 'shipped', 'USD', 700, '{}', 'committed', 'captured', 'auth_1', 'shp_1', "
    "'in_transit', 'sim', 'TRK1')",
    "INSERT INTO order_lines (order_id, line_no, sku, quantity, unit_price_amount) VALUES "
    "('ord_shipped', 1, 'A', 2, 100), ('ord_shipped', 2, 'B', 2, 250)",
    "INSERT INTO order_allocations (order_id, line_no, location_id, sku, quantity) VALUES "
    "('ord_shipped', 1, 'default', 'A', 2), ('ord_shipped', 2, 'east', 'B', 2)",
    # Placed before locations: held at default, no allocation rows.
    "INSERT INTO orders (id, customer_id, idempotency_key, fingerprint, status, currency, "
    "total_amount, shipping_address, stock_status, payment_status) VALUES ('ord_held', "
    "'usr_1', 'k2', 'f', 'reserved', 'USD', 300, '{}', 'held', 'pending')",
    "INSERT INTO order_lines (order_id, line_no, sku, quantity, unit_price_amount) VALUES "
    "('ord_held', 1, 'A', 3, 100)",
    # Refused at placement: it never held anything, so it has no parcel.
    "INSERT INTO orders (id, customer_id, idempotency_key, fingerprint, status, currency, "
    "total_amount, shipping_address, stock_status, payment_status) VALUES ('ord_refused', "
    "'usr_1', 'k3', 'f', 'failed', 'USD', 100, '{}', 'none', 'pending')",
    "INSERT INTO order_lines (order_id, line_no, sku, quantity, unit_price_amount) VALUES "
    "('ord_refused', 1, 'A', 1, 100)",
]


async def parcels(url: str) -> list[tuple[Any, ...]]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT order_id, number, location_id, items, value_amount, state, units, "
                    "tracking_number, captured_amount FROM shipments ORDER BY order_id, number"
                )
            )
            return [tuple(row) for row in rows]
    finally:
        await engine.dispose()


async def test_every_order_that_held_stock_gets_its_parcels_and_the_migration_reverses(
    database_url: str,
) -> None:
    async with scratch_database(database_url) as url:
        config = alembic_config(url)
        await asyncio.to_thread(command.upgrade, config, "0010")
        engine = make_engine(url)
        async with engine.begin() as connection:
            for statement in BEFORE:
                await connection.execute(text(statement))
        await engine.dispose()

        await asyncio.to_thread(command.upgrade, config, "head")
        after = await parcels(url)
        await asyncio.to_thread(command.downgrade, config, "0010")
        await asyncio.to_thread(command.upgrade, config, "head")
        again = await parcels(url)

    assert after == [
        (
            "ord_held",
            1,
            "default",
            [{"sku": "A", "quantity": 3}],
            300,
            "pending",
            "held",
            None,
            None,
        ),
        (
            "ord_shipped",
            1,
            "default",
            [{"sku": "A", "quantity": 2}],
            200,
            "in_transit",
            "committed",
            "TRK1",
            200,
        ),
        (
            "ord_shipped",
            2,
            "east",
            [{"sku": "B", "quantity": 2}],
            500,
            "in_transit",
            "committed",
            "TRK1",
            500,
        ),
    ]
    assert again == after
