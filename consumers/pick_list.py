"""A warehouse's pick list, projected from the order events on RabbitMQ.

An example consumer: what a downstream team would write against docs/events.md.

- It keeps, per order, the lines to pick: added at `order.inventory.reserved`, marked
  shipped at `order.shipment.created`, dropped at `order.order.cancelled` and
  `order.order.failed`.
- Idempotent: the event id and the change commit in one transaction, and an id seen
  before is acknowledged without being applied again (events arrive at least once).
- A message it cannot handle (not JSON, not a CloudEvent, missing data) is rejected
  without requeue and lands in the dead-letter queue `warehouse.pick-list.dead`
  instead of blocking the queue; `replay` moves dead letters back once the cause is
  fixed.

    python -m consumers.pick_list run      --amqp-url ... --database-url ...
    python -m consumers.pick_list replay   --amqp-url ...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

log = logging.getLogger("consumers.pick_list")

EXCHANGE = "orders.events"
QUEUE = "warehouse.pick-list"  # its dead letters: <queue>.dlx (exchange), <queue>.dead
BINDINGS = (
    "order.inventory.reserved",
    "order.shipment.created",
    "order.order.cancelled",
    "order.order.failed",
)
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS pick_list (
        order_id text NOT NULL, sku text NOT NULL, quantity integer NOT NULL,
        shipped boolean NOT NULL DEFAULT false, PRIMARY KEY (order_id, sku))""",
    "CREATE TABLE IF NOT EXISTS pick_list_seen (event_id text PRIMARY KEY)",
)


class Unprocessable(Exception):
    """The message is not an order event this projector understands."""


async def declare(
    channel: AbstractChannel, name: str = QUEUE
) -> tuple[AbstractQueue, AbstractQueue]:
    """The queue, bound to the events it needs, and its dead-letter queue."""
    events = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
    dead = await channel.declare_exchange(f"{name}.dlx", aio_pika.ExchangeType.FANOUT, durable=True)
    dead_queue = await channel.declare_queue(f"{name}.dead", durable=True)
    await dead_queue.bind(dead)
    queue = await channel.declare_queue(
        name, durable=True, arguments={"x-dead-letter-exchange": f"{name}.dlx"}
    )
    for key in BINDINGS:
        await queue.bind(events, key)
    return queue, dead_queue


def parse(body: bytes) -> dict[str, Any]:
    try:
        event = json.loads(body)
    except ValueError as error:
        raise Unprocessable(f"not JSON: {error}") from error
    if not isinstance(event, dict) or not {"id", "type", "subject", "data"} <= set(event):
        raise Unprocessable("not a CloudEvent with id, type, subject and data")
    return event


async def apply(connection: AsyncConnection, event: dict[str, Any]) -> bool:
    """Applies one event inside the caller's transaction; False if it was seen before."""
    seen = await connection.execute(
        text("INSERT INTO pick_list_seen VALUES (:id) ON CONFLICT DO NOTHING"),
        {"id": event["id"]},
    )
    if not seen.rowcount:
        return False
    order_id, kind, data = event["subject"], event["type"], event["data"]
    if kind == "order.inventory.reserved":
        lines = data.get("lines")
        if not isinstance(lines, list) or not lines:
            raise Unprocessable("order.inventory.reserved without lines")
        for line in lines:
            await connection.execute(
                text(
                    "INSERT INTO pick_list (order_id, sku, quantity) VALUES (:o, :s, :q) "
                    "ON CONFLICT (order_id, sku) DO UPDATE SET quantity = excluded.quantity"
                ),
                {"o": order_id, "s": line["sku"], "q": int(line["quantity"])},
            )
    elif kind == "order.shipment.created":
        await connection.execute(
            text("UPDATE pick_list SET shipped = true WHERE order_id = :o"), {"o": order_id}
        )
    elif kind in ("order.order.cancelled", "order.order.failed"):
        await connection.execute(text("DELETE FROM pick_list WHERE order_id = :o"), {"o": order_id})
    return True


class PickList:
    def __init__(
        self, amqp_url: str, database: AsyncEngine, *, queue: str = QUEUE, prefetch: int = 50
    ) -> None:
        self.amqp_url = amqp_url
        self.database = database
        self.queue = queue
        self.prefetch = prefetch

    async def prepare(self) -> None:
        async with self.database.begin() as connection:
            for statement in SCHEMA:
                await connection.execute(text(statement))

    async def handle(self, message: AbstractIncomingMessage) -> None:
        try:
            event = parse(message.body)
            async with self.database.begin() as connection:
                applied = await apply(connection, event)
        except (Unprocessable, KeyError, TypeError, ValueError) as error:
            log.warning("dead-lettering message %s: %s", message.message_id, error)
            await message.reject(requeue=False)
            return
        await message.ack()  # after the commit: a crash in between redelivers, and dedupes
        if not applied:
            log.info("event %s seen before; acknowledged", event["id"])

    async def run(self, stop: asyncio.Event) -> None:
        await self.prepare()
        connection = await aio_pika.connect_robust(self.amqp_url)
        async with connection:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=self.prefetch)
            queue, _ = await declare(channel, self.queue)
            tag = await queue.consume(self.handle)
            await stop.wait()
            await queue.cancel(tag)


async def replay_dead_letters(amqp_url: str, name: str = QUEUE) -> int:
    """Moves every dead letter back to the pick-list queue; returns how many."""
    connection = await aio_pika.connect_robust(amqp_url)
    moved = 0
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        _, dead_queue = await declare(channel, name)
        while (message := await dead_queue.get(no_ack=False, fail=False)) is not None:
            await channel.default_exchange.publish(
                aio_pika.Message(
                    body=message.body,
                    content_type=message.content_type,
                    message_id=message.message_id,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=name,
            )
            await message.ack()
            moved += 1
    return moved


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m consumers.pick_list", description=__doc__)
    parser.add_argument(
        "command", choices=["run", "replay"], help="consume, or replay dead letters"
    )
    parser.add_argument("--amqp-url", default="amqp://guest:guest@127.0.0.1:5672/", help="RabbitMQ")
    parser.add_argument(
        "--database-url",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/warehouse",
        help="where the pick list is kept (run only)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    if args.command == "replay":
        print(f"replayed {asyncio.run(replay_dead_letters(args.amqp_url))} dead letters")
        return
    projector = PickList(args.amqp_url, create_async_engine(args.database_url))
    asyncio.run(projector.run(asyncio.Event()))


if __name__ == "__main__":
    main()
