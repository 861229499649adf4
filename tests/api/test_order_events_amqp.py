"""Order events on the machine's real RabbitMQ: every timeline entry of a settled order
arrives once per id, as a CloudEvent, in timeline order."""

from __future__ import annotations

import json
from typing import Any

import aio_pika
import httpx
from sqlalchemy import text

from tests.amqp import AMQP_URL, every_event, needs_rabbitmq
from tests.api.conftest import Caller, order_body, wait_for_status
from tests.factories import add_product
from tests.polling import eventually

pytestmark = needs_rabbitmq


async def test_every_timeline_entry_arrives_once_as_a_cloud_event(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any
) -> None:
    connection = await aio_pika.connect_robust(AMQP_URL)
    received: list[dict[str, Any]] = []
    async with connection:
        queue = await every_event(await connection.channel())

        sku = await add_product(session_uow, on_hand=3)
        placed = await http.post(
            "/v1/orders", json=order_body((sku, 1)), headers=customer.placing()
        )
        order_id = placed.json()["id"]
        await wait_for_status(http, customer, order_id, "delivered")
        async with session_uow() as uow:
            rows = await uow.session.execute(
                text("SELECT id, type FROM order_events WHERE order_id = :id ORDER BY id"),
                {"id": order_id},
            )
            timeline = [(str(entry_id), kind) for entry_id, kind in rows]

        async def all_arrived() -> bool:
            while (message := await queue.get(no_ack=True, fail=False)) is not None:
                event = json.loads(message.body)
                if event["subject"] == order_id:
                    received.append(
                        {
                            **event,
                            "routing_key": message.routing_key,
                            "content_type": message.content_type,
                        }
                    )
            return len(received) >= len(timeline)

        await eventually(all_arrived, timeout=60)

    assert [(e["id"], e["type"]) for e in received] == [
        (entry_id, f"order.{kind}") for entry_id, kind in timeline
    ]
    for event in received:
        assert event["specversion"] == "1.0" and event["source"] == "/order-service"
        assert event["routing_key"] == event["type"]
        assert event["content_type"] == "application/cloudevents+json"
        assert event["time"].endswith("Z") and isinstance(event["data"], dict)
