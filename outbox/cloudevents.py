"""A timeline entry as a CloudEvents 1.0 JSON event: what downstream systems receive."""

from __future__ import annotations

import json
from typing import Any

from db.outbox import PendingEntry

CONTENT_TYPE = "application/cloudevents+json"


# After the sale, entries are named for what they are about, not for the order.
AFTER_THE_SALE = ("refund.", "return.", "claim.")


def event_type(entry: PendingEntry) -> str:
    """`order.` + the timeline entry's type: `order.payment.authorized`, ...; an
    after-sale entry goes by its own name (`refund.succeeded`). Also the routing key,
    so `order.shipment.*` binds every shipment event and `refund.#` every refund's."""
    if entry.type.startswith(AFTER_THE_SALE):
        return entry.type
    return f"order.{entry.type}"


def cloud_event(entry: PendingEntry, source: str) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": str(entry.id),  # the timeline entry's id: consumers dedupe on it
        "source": source,
        "type": event_type(entry),
        "subject": entry.order_id,
        "time": entry.at.isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "data": entry.data,
    }


def encoded(entry: PendingEntry, source: str) -> bytes:
    return json.dumps(cloud_event(entry, source), separators=(",", ":")).encode()
