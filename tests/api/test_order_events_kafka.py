"""Order events on a real Kafka broker, where one is reachable: set
ORDERS_TEST_KAFKA_BOOTSTRAP=host:port. This machine has none (docs/events.md)."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaConsumer

from db.outbox import PendingEntry
from events.kafka import KafkaPublisher

BOOTSTRAP = os.environ.get("ORDERS_TEST_KAFKA_BOOTSTRAP")
if not BOOTSTRAP:
    pytest.skip("no Kafka broker named by ORDERS_TEST_KAFKA_BOOTSTRAP", allow_module_level=True)


async def test_each_entry_arrives_keyed_by_its_order() -> None:
    assert BOOTSTRAP
    topic = f"orders.events.test.{uuid.uuid4().hex[:8]}"
    entries = [
        PendingEntry(n, "ord_kafka", kind, {}, datetime.now(UTC), 0)
        for n, kind in enumerate(("order.placed", "inventory.reserved"), start=1)
    ]
    publisher = KafkaPublisher(BOOTSTRAP, topic, "/order-service")
    for entry in entries:
        await publisher.deliver(entry)
    await publisher.close()

    consumer = AIOKafkaConsumer(topic, bootstrap_servers=BOOTSTRAP, auto_offset_reset="earliest")
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=30_000, max_records=10)
    finally:
        await consumer.stop()
    records = [r for part in batch.values() for r in part]

    assert [json.loads(r.value)["id"] for r in records] == ["1", "2"]
    assert {r.key for r in records} == {b"ord_kafka"}
