"""The outbox's RabbitMQ sink: each timeline entry as a CloudEvent on the durable topic
exchange `orders.events`, routing key = the event type, persistent, with publisher
confirms. A publish that is not confirmed raises, so the relay retries the entry:
at least once on the wire; consumers dedupe on the event id."""

from __future__ import annotations

import asyncio

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection

from db.outbox import PendingEntry
from outbox.cloudevents import CONTENT_TYPE, encoded, event_type

EXCHANGE = "orders.events"


class AmqpPublisher:
    def __init__(self, url: str, source: str, *, confirm_timeout: float = 10.0) -> None:
        self._url = url
        self._source = source
        self._timeout = confirm_timeout
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._connecting = asyncio.Lock()

    async def deliver(self, entry: PendingEntry) -> None:
        exchange = await self._ready()
        message = aio_pika.Message(
            body=encoded(entry, self._source),
            content_type=CONTENT_TYPE,
            message_id=str(entry.id),
            type=event_type(entry),
            timestamp=entry.at,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        # With publisher confirms, this returns once the broker has taken the message.
        await exchange.publish(message, routing_key=event_type(entry), timeout=self._timeout)

    async def _ready(self) -> AbstractExchange:
        """Connects on first use (a broker down at start only delays delivery)."""
        async with self._connecting:
            if self._exchange is None or self._channel is None or self._channel.is_closed:
                if self._connection is None:
                    self._connection = await aio_pika.connect_robust(self._url, timeout=10)
                self._channel = await self._connection.channel(publisher_confirms=True)
                self._exchange = await self._channel.declare_exchange(
                    EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
                )
            return self._exchange

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
