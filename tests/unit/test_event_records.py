"""What downstream systems receive for a timeline entry: the CloudEvent, its AMQP
routing key, and its Kafka record (keyed by order, so one order stays in order)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from db.outbox import PendingEntry
from outbox.cloudevents import cloud_event, event_type
from outbox.kafka import record

ENTRY = PendingEntry(
    id=4711,
    order_id="ord_6f1c2a9e4b7d8c0a1e2f",
    type="payment.authorized",
    data={"authorization_id": "auth_51c0e7"},
    at=datetime(2026, 11, 29, 21, 30, 1, 204000, tzinfo=UTC),
    attempts=0,
)


def test_a_timeline_entry_is_a_cloud_event_named_after_its_type() -> None:
    assert cloud_event(ENTRY, "/order-service") == {
        "specversion": "1.0",
        "id": "4711",
        "source": "/order-service",
        "type": "order.payment.authorized",
        "subject": "ord_6f1c2a9e4b7d8c0a1e2f",
        "time": "2026-11-29T21:30:01.204000Z",
        "datacontenttype": "application/json",
        "data": {"authorization_id": "auth_51c0e7"},
    }
    assert event_type(ENTRY) == "order.payment.authorized"


def test_a_kafka_record_is_keyed_by_order_and_carries_the_event() -> None:
    key, value, headers = record(ENTRY, "/order-service")

    assert key == b"ord_6f1c2a9e4b7d8c0a1e2f"
    assert json.loads(value) == cloud_event(ENTRY, "/order-service")
    assert dict(headers) == {
        "content-type": b"application/cloudevents+json",
        "ce_id": b"4711",
        "ce_type": b"order.payment.authorized",
    }
