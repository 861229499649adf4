"""The Kafka sink on a real Kafka-compatible broker (Tansu, tests/kafka.py): what a
consumer group reads back is the CloudEvent the RabbitMQ sink sends, each order's
events in order in one partition, and nothing is lost when the broker restarts."""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka.errors import KafkaError

from db.outbox import PendingEntry
from outbox.cloudevents import encoded
from outbox.kafka import KafkaPublisher
from tests.kafka import Tansu, read_back
from tests.polling import eventually

SOURCE = "/order-service"
TIMELINE: list[tuple[str, dict[str, Any]]] = [
    ("order.placed", {"total": 2_500, "currency": "USD"}),
    ("inventory.reserved", {"lines": [{"sku": "SKU-1", "quantity": 2}]}),
    ("payment.authorized", {"authorization_id": "auth_51c0e7"}),
    ("shipment.created", {"carrier": "sim", "tracking_number": "TRK-1"}),
    ("inventory.committed", {}),
    ("payment.captured", {"amount": 2_500}),
    ("shipment.in_transit", {"occurred_at": "2026-11-29T21:31:00Z"}),
    ("shipment.delivered", {"occurred_at": "2026-11-29T21:32:00Z"}),
]


def timelines(orders: int, length: int) -> dict[str, list[PendingEntry]]:
    """`length` entries for each of `orders` orders, ids increasing and interleaved
    across orders as the outbox holds them."""
    ids = itertools.count(4_700)
    start = datetime(2026, 11, 29, 21, 30, tzinfo=UTC)
    order_ids = [f"ord_{n:04d}6f1c2a9e4b7d8c0a" for n in range(orders)]
    entries: dict[str, list[PendingEntry]] = {order_id: [] for order_id in order_ids}
    for step in range(length):
        kind, data = TIMELINE[step % len(TIMELINE)]
        for order_id in order_ids:
            entry_id = next(ids)
            at = start + timedelta(milliseconds=entry_id)
            entries[order_id].append(PendingEntry(entry_id, order_id, kind, data, at, 0))
    return entries


async def deliver_like_the_relay(
    publisher: KafkaPublisher, entries: dict[str, list[PendingEntry]]
) -> None:
    """Orders side by side, each order's entries in turn, as outbox/relay.py hands them
    on; any failure fails the test."""

    async def in_turn(timeline: list[PendingEntry]) -> None:
        for entry in timeline:
            await publisher.deliver(entry)

    await asyncio.gather(*(in_turn(timeline) for timeline in entries.values()))


def ids_by_order(records: list[Any]) -> dict[str, list[int]]:
    read: dict[str, list[int]] = {}
    for record in records:
        read.setdefault(record.key.decode(), []).append(int(json.loads(record.value)["id"]))
    return read


async def test_a_consumer_group_reads_back_the_cloud_events_the_amqp_sink_sends(
    kafka_broker: Tansu,
) -> None:
    topic = await kafka_broker.create_topic(partitions=3)
    [entries] = timelines(orders=1, length=len(TIMELINE)).values()
    publisher = KafkaPublisher(kafka_broker.bootstrap, topic, SOURCE)
    try:
        for entry in entries:
            await publisher.deliver(entry)
    finally:
        await publisher.close()

    records = await read_back(kafka_broker.bootstrap, topic, len(entries))

    # Byte for byte the body of the AmqpPublisher's message for the same entry ...
    assert [record.value for record in records] == [encoded(e, SOURCE) for e in entries]
    for record, entry in zip(records, entries, strict=True):
        event = json.loads(record.value)
        # ... which is this CloudEvent (tests/api/test_order_events_amqp.py reads it).
        assert {name: event[name] for name in ("id", "type", "source", "subject", "data")} == {
            "id": str(entry.id),
            "type": f"order.{entry.type}",
            "source": SOURCE,
            "subject": entry.order_id,
            "data": entry.data,
        }
        assert event["specversion"] == "1.0" and event["time"].endswith("Z")
        assert record.key == entry.order_id.encode()
        assert dict(record.headers) == {
            "content-type": b"application/cloudevents+json",
            "ce_id": str(entry.id).encode(),
            "ce_type": f"order.{entry.type}".encode(),
        }


async def test_each_orders_events_come_back_in_order_from_one_partition(
    kafka_broker: Tansu,
) -> None:
    topic = await kafka_broker.create_topic(partitions=3)
    sent = timelines(orders=6, length=15)
    publisher = KafkaPublisher(kafka_broker.bootstrap, topic, SOURCE)
    try:
        await deliver_like_the_relay(publisher, sent)
    finally:
        await publisher.close()

    records = await read_back(kafka_broker.bootstrap, topic, sum(map(len, sent.values())))

    assert ids_by_order(records) == {
        order_id: [entry.id for entry in timeline] for order_id, timeline in sent.items()
    }
    partitions: dict[bytes, set[int]] = {}
    for record in records:
        partitions.setdefault(record.key, set()).add(record.partition)
    assert all(len(used) == 1 for used in partitions.values()), partitions
    # The orders spread over the partitions: the order comes from the key, not from a
    # topic with a single partition.
    assert len(set().union(*partitions.values())) > 1, partitions


async def delivered_in_the_end(publisher: KafkaPublisher, entry: PendingEntry) -> int:
    """Retries `entry` until the publisher hands it on, as the relay does; the tries."""
    tries = 0

    async def handed_on() -> bool:
        nonlocal tries
        tries += 1
        try:
            await publisher.deliver(entry)
        except KafkaError:
            return False
        return True

    await eventually(handed_on, timeout=120, interval=0.5)
    return tries


async def test_what_a_broker_restart_refused_arrives_when_the_relay_retries(
    own_broker: Tansu,
) -> None:
    await own_broker.start()
    topic = await own_broker.create_topic(partitions=3, name="orders.events")
    sent = timelines(orders=3, length=6)
    before = {order_id: timeline[:3] for order_id, timeline in sent.items()}
    after = [entry for timeline in sent.values() for entry in timeline[3:]]
    refused = after[0]  # the first entry offered while the broker is down
    publisher = KafkaPublisher(own_broker.bootstrap, topic, SOURCE, send_timeout=5)
    try:
        await deliver_like_the_relay(publisher, before)
        # Memory storage: what the broker held is gone once it stops, so it is read now.
        read_before = await read_back(own_broker.bootstrap, topic, 3 * 3)

        own_broker.stop()
        with pytest.raises(KafkaError):  # raises (the relay will retry), does not hang
            await asyncio.wait_for(publisher.deliver(refused), timeout=120)
        await own_broker.start()  # the same port, the same publisher
        # A durable cluster keeps its topics; this one comes back empty, so the topic is
        # provisioned again. (Tansu acknowledges records sent to a topic it does not
        # have, and they are not to be read once the topic is made.)
        await own_broker.create_topic(partitions=3, name=topic)

        await delivered_in_the_end(publisher, refused)
        await deliver_like_the_relay(
            publisher,
            {
                order_id: [entry for entry in timeline[3:] if entry is not refused]
                for order_id, timeline in sent.items()
            },
        )
        read_after = await read_back(own_broker.bootstrap, topic, len(after))
    finally:
        await publisher.close()

    # Every entry arrived; a consumer that drops ids it has seen gets each order's
    # entries once and in order.
    received = ids_by_order(read_before + read_after)
    deduped = {order_id: list(dict.fromkeys(ids)) for order_id, ids in received.items()}
    assert deduped == {
        order_id: [entry.id for entry in timeline] for order_id, timeline in sent.items()
    }
    assert refused.id in ids_by_order(read_after)[refused.order_id]


async def test_a_broker_down_at_the_first_delivery_only_delays_it(own_broker: Tansu) -> None:
    [[entry]] = timelines(orders=1, length=1).values()
    publisher = KafkaPublisher(own_broker.bootstrap, "orders.events", SOURCE, send_timeout=5)
    try:
        with pytest.raises(KafkaError):  # nothing listens on the port yet
            await asyncio.wait_for(publisher.deliver(entry), timeout=120)
        await own_broker.start()
        await publisher.deliver(entry)
    finally:
        await publisher.close()

    records = await read_back(own_broker.bootstrap, "orders.events", 1)
    assert [json.loads(record.value)["id"] for record in records] == [str(entry.id)]
