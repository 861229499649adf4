"""The example consumer (consumers/pick_list.py) on the machine's RabbitMQ and a
PostgreSQL database of its own: it projects a delivered order, applies a duplicate
once, dead-letters a poisoned message, and replays dead letters."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from consumers.pick_list import PickList, declare, replay_dead_letters
from infra.settings import Settings
from tests.amqp import AMQP_URL, needs_rabbitmq
from tests.api.conftest import Caller, order_body, wait_for_status
from tests.factories import add_product
from tests.polling import eventually
from tests.scratch_database import scratch_database

pytestmark = needs_rabbitmq


@pytest.fixture
async def warehouse(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """A database of the warehouse's own on the same server."""
    async with scratch_database(settings.database_url) as url:
        engine = create_async_engine(url)
        yield engine
        await engine.dispose()


async def rows(engine: AsyncEngine, order_id: str) -> list[tuple[str, int, bool]]:
    async with engine.connect() as connection:
        found = await connection.execute(
            text("SELECT sku, quantity, shipped FROM pick_list WHERE order_id = :o"),
            {"o": order_id},
        )
        return [(sku, quantity, shipped) for sku, quantity, shipped in found]


async def test_the_pick_list_projects_dedupes_dead_letters_and_replays(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any, warehouse: AsyncEngine
) -> None:
    queue_name = f"test.pick-list.{uuid.uuid4().hex[:8]}"
    projector = PickList(AMQP_URL, warehouse, queue=queue_name, prefetch=1)
    stop = asyncio.Event()
    connection = await aio_pika.connect_robust(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        queue, dead = await declare(channel, queue_name)  # bound before any order exists
        consuming = asyncio.create_task(projector.run(stop))
        try:
            sku = await add_product(session_uow, on_hand=5)
            placed = await http.post(
                "/v1/orders", json=order_body((sku, 2)), headers=customer.placing()
            )
            order_id = placed.json()["id"]
            await wait_for_status(http, customer, order_id, "delivered")

            async def projected() -> list[tuple[str, int, bool]]:
                found = await rows(warehouse, order_id)
                return found if found and found[0][2] else []

            assert await eventually(projected, timeout=60) == [(sku, 2, True)]

            # A duplicate of the reservation (same id), then another order's reservation:
            # with one message in flight at a time, the second is handled after the first.
            async with warehouse.connect() as db:
                reserved_id = await db.scalar(text("SELECT min(event_id) FROM pick_list_seen"))
            exchange = await channel.get_exchange("orders.events")
            for event in (
                {
                    "id": reserved_id,
                    "type": "order.inventory.reserved",
                    "subject": order_id,
                    "data": {"lines": [{"sku": sku, "quantity": 9}]},
                },
                {
                    "id": f"marker-{uuid.uuid4().hex}",
                    "type": "order.inventory.reserved",
                    "subject": "ord_marker",
                    "data": {"lines": [{"sku": sku, "quantity": 1}]},
                },
            ):
                await exchange.publish(
                    aio_pika.Message(json.dumps(event).encode()),
                    routing_key="order.inventory.reserved",
                )
            await eventually(lambda: rows(warehouse, "ord_marker"), timeout=60)
            assert await rows(warehouse, order_id) == [(sku, 2, True)]  # not 9: applied once

            await exchange.publish(
                aio_pika.Message(b"{not json"), routing_key="order.inventory.reserved"
            )

            async def dead_lettered() -> bool:
                letter = await dead.get(no_ack=False, fail=False)
                if letter is None:
                    return False
                await letter.nack(requeue=True)  # looked at, left where it is
                return letter.body == b"{not json"

            await eventually(dead_lettered, timeout=60)
        finally:
            stop.set()
            await consuming

        replayed = await replay_dead_letters(AMQP_URL, queue_name)
        # Orders of other tests go on publishing to the queue with the consumer stopped:
        # the replayed letter is among what it holds now, once.
        held = []
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            held.append(message.body)
        left = await dead.get(no_ack=True, fail=False)
        assert replayed == 1
        assert held.count(b"{not json") == 1
        assert left is None
        await queue.delete(if_unused=False, if_empty=False)
        await dead.delete(if_unused=False, if_empty=False)
        await channel.exchange_delete(f"{queue_name}.dlx")
