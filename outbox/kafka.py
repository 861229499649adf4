"""The outbox's Kafka sink, the same port as RabbitMQ's (`Sink.deliver`): each timeline
entry as a CloudEvent (structured mode) on one topic, keyed by the order id, so one
order's events stay in one partition and in order. `acks=all` with the idempotent
producer; a send that is not acknowledged raises, and the relay retries the entry.

Selected by `ORDERS_KAFKA_BOOTSTRAP` (host:port[,host:port]); topic
`ORDERS_KAFKA_TOPIC` (default `orders.events`)."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer

from db.outbox import PendingEntry
from outbox.cloudevents import CONTENT_TYPE, encoded, event_type


def record(entry: PendingEntry, source: str) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """Key, value and headers of the Kafka record for one entry."""
    headers = [
        ("content-type", CONTENT_TYPE.encode()),
        ("ce_id", str(entry.id).encode()),
        ("ce_type", event_type(entry).encode()),
    ]
    return entry.order_id.encode(), encoded(entry, source), headers


class KafkaPublisher:
    def __init__(self, bootstrap: str, topic: str, source: str) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._source = source
        self._producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()

    async def deliver(self, entry: PendingEntry) -> None:
        producer = await self._ready()
        key, value, headers = record(entry, self._source)
        await producer.send_and_wait(self._topic, value=value, key=key, headers=headers)

    async def _ready(self) -> AIOKafkaProducer:
        async with self._starting:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._bootstrap, acks="all", enable_idempotence=True
                )
                await producer.start()
                self._producer = producer
            return self._producer

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
