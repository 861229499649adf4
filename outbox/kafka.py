"""The outbox's Kafka sink, the same port as RabbitMQ's (`Sink.deliver`): each timeline
entry as a CloudEvent (structured mode) on one topic, keyed by the order id, so one
order's events stay in one partition and in order. `acks=all`: a send that the broker
has not acknowledged within `send_timeout` raises, and the relay retries the entry.

No idempotent producer: the relay hands an order's next entry on only once the last
one is acknowledged, so a partition never has two of an order's records in flight, and
a record sent twice is a duplicate that consumers drop by the CloudEvent id anyway.
(aiokafka's idempotent producer asks for its producer id with InitProducerId v0, which
some Kafka-compatible brokers refuse, Tansu among them.)

The producer reconnects by itself when the broker comes back; one that could not start
is closed and started anew at the next delivery.

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
    def __init__(
        self, bootstrap: str, topic: str, source: str, *, send_timeout: float = 10.0
    ) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._source = source
        self._timeout_ms = int(send_timeout * 1000)
        self._producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()

    async def deliver(self, entry: PendingEntry) -> None:
        producer = await self._ready()
        key, value, headers = record(entry, self._source)
        # Bounded by the request timeout: metadata, the send buffer and the broker's
        # acknowledgement each raise a KafkaError once it has passed.
        await producer.send_and_wait(self._topic, value=value, key=key, headers=headers)

    async def _ready(self) -> AIOKafkaProducer:
        """Connects on first use (a broker down at start only delays delivery)."""
        async with self._starting:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._bootstrap,
                    acks="all",
                    request_timeout_ms=self._timeout_ms,
                )
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()
