"""The machine's RabbitMQ, for the order-event tests."""

from __future__ import annotations

import os

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractQueue

from tests.stack import AMQP_URL, reachable

__all__ = ["AMQP_URL", "every_event", "needs_rabbitmq"]
RABBITMQ = reachable(5672) or os.environ.get("ORDERS_REQUIRE_RABBITMQ") == "1"
needs_rabbitmq = pytest.mark.skipif(
    not RABBITMQ, reason="no RabbitMQ on 127.0.0.1:5672 (CI requires it)"
)


async def every_event(channel: AbstractChannel) -> AbstractQueue:
    """A queue of this connection's own that receives every order event from now on,
    those after the sale (`refund.#`, `return.#`, `claim.#`) too."""
    exchange = await channel.declare_exchange(
        "orders.events", aio_pika.ExchangeType.TOPIC, durable=True
    )
    queue = await channel.declare_queue(exclusive=True)
    for binding in ("order.#", "refund.#", "return.#", "claim.#"):
        await queue.bind(exchange, binding)
    return queue
