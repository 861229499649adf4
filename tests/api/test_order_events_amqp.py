"""Order events on the machine's real RabbitMQ: every timeline entry of a settled order
arrives once per id, as a CloudEvent, in timeline order; after-sale entries go by
their own name (`return.closed`, `refund.succeeded`)."""

from __future__ import annotations

import json
from typing import Any

import aio_pika
import httpx
from sqlalchemy import text

from tests.amqp import AMQP_URL, every_event, needs_rabbitmq
from tests.api.conftest import Caller, order_body, wait_for_status
from tests.api.test_returns_api import ask, delivered, in_transit, return_reaching
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


async def test_after_the_sale_events_go_by_their_own_name(
    http: httpx.AsyncClient, customer: Caller, ops: Caller, session_uow: Any
) -> None:
    connection = await aio_pika.connect_robust(AMQP_URL)
    kinds: dict[str, str] = {}
    async with connection:
        queue = await every_event(await connection.channel())
        sku = await add_product(session_uow, price=800, on_hand=3)
        order_id = await delivered(http, customer, session_uow, (sku, 1))
        return_id = (await ask(http, customer, order_id, (sku, 1))).json()["id"]
        await in_transit(http, customer, return_id)
        await http.post(
            f"/v1/returns/{return_id}/receive",
            json={"items": [{"sku": sku, "restock": 1}]},
            headers=ops.auth,
        )
        await return_reaching(http, customer, return_id, "closed")

        async def closed_arrived() -> bool:
            while (message := await queue.get(no_ack=True, fail=False)) is not None:
                event = json.loads(message.body)
                if event["subject"] == order_id:
                    kinds[event["type"]] = message.routing_key or ""
            return "return.closed" in kinds

        await eventually(closed_arrived, timeout=60)

    after_sale = {kind for kind in kinds if not kind.startswith("order.")}
    assert {
        "return.requested",
        "return.received",
        "return.closed",
        "refund.succeeded",
    } <= after_sale
    assert all(kinds[kind] == kind for kind in after_sale)  # the routing key is the name
