"""An order as the read model holds it: plain frozen records for whoever reads orders
(the API, orders-admin, the notices). The workflow owns the order; these are its image."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class LineRecord:
    sku: str
    quantity: int
    unit_price_amount: int


@dataclass(frozen=True)
class ShipmentRecord:
    """One parcel of the order: the units of one location."""

    id: str
    location_id: str
    items: tuple[tuple[str, int], ...]  # (sku, quantity)
    status: str  # pending until booked, then as the carrier reports
    carrier: str | None
    tracking_number: str | None
    captured_amount: int | None


@dataclass(frozen=True)
class OrderRecord:
    id: str
    customer_id: str
    fingerprint: str
    status: str
    currency: str
    total_amount: int
    lines: tuple[LineRecord, ...]
    shipping_address: dict[str, Any]
    payment_status: str
    authorization_id: str | None
    shipment_status: str | None
    carrier: str | None
    tracking_number: str | None
    failure_reason: str | None
    failed_compensations: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    shipments: tuple[ShipmentRecord, ...] = ()
    refunded_total: int = 0


@dataclass(frozen=True)
class TimelineEntry:
    id: int
    type: str
    at: datetime
    data: dict[str, Any]
