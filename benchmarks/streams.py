"""Live order streams at scale: many open `GET /v1/orders/{id}/events/stream` on one API
process, what they cost the database, and how soon a committed entry reaches them.

    python -m benchmarks.streams                        # 2000 streams over 200 orders
    python -m benchmarks.streams --streams 500 --orders 50 --entries 100

Starts the stack here (ProcessStack), writes the orders straight into the database
(the streams only need orders that exist and are still open), then:

1. the database's transactions per second with no stream open, over a quiet window;
2. the same with every stream open and caught up (only heartbeats flow);
3. entries appended to random orders, one at a time: from each commit to each stream
   of that order receiving the entry (p50, p99, max).

Prints one table; `--json` writes it for comparing commits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.measure import percentile
from db.engine import make_engine, make_session_factory
from db.unit_of_work import UnitOfWork
from devstack.processes import ProcessStack
from devstack.seed import load_or_create_keys, seed
from domain.money import Money
from domain.order import Address, Order, OrderLine
from infra.settings import Settings

SKU = "POSTER-A2"


async def write_orders(engine: AsyncEngine, customer_id: str, count: int) -> list[str]:
    """Reserved orders, written as the reservation writes them; no workflow runs them."""
    sessions = make_session_factory(engine)
    ids = []
    for _ in range(count):
        order = Order.place(
            f"ord_{uuid.uuid4().hex[:20]}",
            customer_id,
            [OrderLine(SKU, 1, Money(1_000, "USD"))],
            Address("Bench", "1 Main St", "Springfield", "12345", "US"),
            "USD",
        )
        order.reserve()
        async with UnitOfWork(sessions) as uow:
            await uow.orders.add(order, idempotency_key=uuid.uuid4().hex, fingerprint="f")
            await uow.commit()
        ids.append(order.id)
    return ids


async def transactions(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        value = await connection.scalar(
            text(
                "SELECT sum(xact_commit + xact_rollback) FROM pg_stat_database "
                "WHERE datname = current_database()"
            )
        )
    return int(value or 0)


async def transactions_per_second(engine: AsyncEngine, seconds: float) -> float:
    before = await transactions(engine)
    await asyncio.sleep(seconds)
    # This query's own transaction and the one before it are ours: take them off.
    return (await transactions(engine) - before - 1) / seconds


class Streams:
    """Open streams, each recording when it received which entry id."""

    def __init__(self, api_url: str, key: str) -> None:
        self.http = httpx.AsyncClient(
            base_url=api_url,
            headers={"Authorization": f"Bearer {key}"},
            timeout=httpx.Timeout(60, read=None),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=None),
        )
        self.received: dict[int, list[float]] = {}
        self.caught_up = 0
        self.tasks: list[asyncio.Task[None]] = []

    def open(self, order_id: str) -> None:
        self.tasks.append(asyncio.create_task(self._follow(order_id)))

    async def _follow(self, order_id: str) -> None:
        async with self.http.stream("GET", f"/v1/orders/{order_id}/events/stream") as response:
            response.raise_for_status()
            first = True
            async for line in response.aiter_lines():
                if line.startswith("id: "):
                    self.received.setdefault(int(line[4:]), []).append(time.monotonic())
                    if first:  # the timeline so far comes in one burst
                        first = False
                        self.caught_up += 1

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.http.aclose()


async def append_entry(engine: AsyncEngine, order_id: str) -> tuple[int, float]:
    """A timeline entry committed as the service commits one; its id and commit time."""
    async with engine.begin() as connection:
        entry_id = await connection.scalar(
            text(
                "INSERT INTO order_events (order_id, type, dedupe_key, data) "
                "VALUES (:order, 'bench.entry', :key, '{}') RETURNING id"
            ),
            {"order": order_id, "key": uuid.uuid4().hex},
        )
    return int(entry_id), time.monotonic()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    state = Path(tempfile.mkdtemp(prefix="streams-bench-"))
    stack = ProcessStack(
        state,
        {
            "ORDERS_EVENT_STREAM_MAX_PER_CALLER": str(args.streams + 1),
            "ORDERS_EVENT_STREAM_HEARTBEAT": "PT15S",
        },
    )
    try:
        await asyncio.to_thread(stack.start, 1)
        keys = load_or_create_keys(state / "dev-keys.json")
        settings = Settings()
        await seed(stack.database_url, settings.api_key_pepper, settings.currency, keys)
        engine = make_engine(stack.database_url)
        async with engine.connect() as connection:
            customer_id = await connection.scalar(
                text("SELECT id FROM users WHERE email = 'customer@example.com'")
            )
        orders = await write_orders(engine, str(customer_id), args.orders)
        await asyncio.sleep(args.window)  # the relay hands the new orders' entries on
        idle = await transactions_per_second(engine, args.window)

        streams = Streams(stack.api_url, keys.customer)
        for index in range(args.streams):
            streams.open(orders[index % len(orders)])
        deadline = time.monotonic() + 300
        while streams.caught_up < args.streams and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        opened = streams.caught_up
        await asyncio.sleep(args.window)  # the last bursts of the timelines so far settle
        with_streams = await transactions_per_second(engine, args.window)

        committed: dict[int, float] = {}
        followers: dict[int, int] = {}
        per_order = dict.fromkeys(orders, 0)
        for index in range(args.streams):
            per_order[orders[index % len(orders)]] += 1
        for _ in range(args.entries):
            order_id = random.choice(orders)
            entry_id, at = await append_entry(engine, order_id)
            committed[entry_id] = at
            followers[entry_id] = per_order[order_id]
            await asyncio.sleep(1 / args.rate)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(
            len(streams.received.get(entry, [])) < count for entry, count in followers.items()
        ):
            await asyncio.sleep(0.2)
        latencies = [
            got - committed[entry] for entry in committed for got in streams.received.get(entry, [])
        ]
        missing = sum(followers.values()) - len(latencies)
        await streams.close()
        await engine.dispose()
    finally:
        await asyncio.to_thread(stack.stop)
    return {
        "streams_open": opened,
        "orders": len(orders),
        "db_transactions_per_second_no_streams": idle,
        "db_transactions_per_second_with_streams": with_streams,
        "entries": args.entries,
        "deliveries": len(latencies),
        "missing": missing,
        "commit_to_stream_p50_ms": percentile(latencies, 0.5) * 1000,
        "commit_to_stream_p99_ms": percentile(latencies, 0.99) * 1000,
        "commit_to_stream_max_ms": max(latencies, default=float("nan")) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--entries", type=int, default=200, help="entries appended")
    parser.add_argument("--rate", type=float, default=20.0, help="entries per second")
    parser.add_argument("--window", type=float, default=10.0, help="seconds per quiet window")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures = asyncio.run(run(args))
    width = max(len(name) for name in figures)
    for name, value in figures.items():
        shown = f"{value:.1f}" if isinstance(value, float) else str(value)
        print(f"{name:<{width}}  {shown}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
