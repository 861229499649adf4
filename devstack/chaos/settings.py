"""The stack's settings for a chaos run: short bounds, so every fault fits in a short run."""

from __future__ import annotations

import json

from domain.order import TERMINAL_STATUSES

TERMINAL = sorted(status.value for status in TERMINAL_STATUSES)
# Short bounds, so an outage longer than the payment bound fits in a short run.
PAYMENT_BOUND_SECONDS = 8
FAST_COMPENSATIONS: dict[str, dict[str, float]] = {
    name: {"maximum_interval_seconds": 2.0}
    for name in ("void_payment", "cancel_shipment", "release_stock")
}
# A poll gives up after two short attempts, so a tracking outage outlasts many polls.
SHORT_POLLS = {"track_shipment": {"start_to_close_seconds": 2.0, "maximum_attempts": 2}}
CHAOS_SETTINGS = {
    "ORDERS_PAYMENT_RETRY_BOUND": f"PT{PAYMENT_BOUND_SECONDS}S",
    "ORDERS_TRACKING_POLL_INTERVAL": "PT10S",
    "ORDERS_TRACKING_POLL_MAX_INTERVAL": "PT40S",
    "ORDERS_ACTIVITY_POLICIES": json.dumps(FAST_COMPENSATIONS | SHORT_POLLS),
    # Slow enough that a cancel taken during the booking can still call the parcel
    # back, even when a killed worker holds the undo up for a while.
    "CARRIER_IN_TRANSIT_AFTER": "3",
    "CARRIER_DELIVERED_AFTER": "30",
}
