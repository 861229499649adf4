"""The million-order bench seeds what the service itself would have written: every
status, stock, payment and parcel state is one the domain knows, every order has its
line, every shipped order its parcel with the order's tracking number."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from benchmarks.million import ORDER_COLUMNS, SHIPMENT_COLUMNS, _orders
from domain.order import OrderStatus, PaymentStatus, ShipmentStatus, StockStatus
from domain.shipments import ShipmentState


def test_seeded_orders_use_only_states_the_domain_knows() -> None:
    tables = {
        table: (columns, rows)
        for table, columns, rows in _orders(
            0, 2_000, ["usr_a", "usr_b"], "usr_me", datetime.now(UTC), random.Random(1)
        )
    }
    orders = [dict(zip(ORDER_COLUMNS, row, strict=True)) for row in tables["orders"][1]]
    parcels = [dict(zip(SHIPMENT_COLUMNS, row, strict=True)) for row in tables["shipments"][1]]

    assert len(orders) == len(tables["order_lines"][1]) == len(tables["idempotency_keys"][1])
    assert {OrderStatus(o["status"]) for o in orders} >= {OrderStatus.DELIVERED}
    for order in orders:
        StockStatus(order["stock_status"])
        PaymentStatus(order["payment_status"])
        if order["shipment_status"] is not None:
            ShipmentStatus(order["shipment_status"])
    shipped = {o["id"]: o["tracking_number"] for o in orders if o["tracking_number"]}
    assert {p["order_id"]: p["tracking_number"] for p in parcels} == shipped
    assert all(ShipmentState(p["state"]) for p in parcels)
    assert sum(o["customer_id"] == "usr_me" for o in orders) == 2  # one in a thousand
