"""`make bench-million`: the service with a million orders in its database.

Starts the local stack as `make bench` does, measures four requests on the empty
database (placing an order, reading one, a customer's first page of orders, the
operator's page filtered by status), seeds `--orders` orders with their lines,
parcels, timelines and idempotency keys by COPY (a year of history: every
customer's keys long expired), measures the same requests again, prints the plans
PostgreSQL chose for the reads (EXPLAIN ANALYZE) and times the purge of the expired
idempotency keys, as its schedule runs it.

    python -m benchmarks.million --orders 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx

from benchmarks.measure import percentile
from benchmarks.orders import SKU, LocalBench, order_body
from db.idempotency import IdempotencyRepository
from db.unit_of_work import UnitOfWork
from devstack.seed import load_or_create_keys

CUSTOMERS = 20_000
BATCH = 50_000
# What a year of orders ended as, roughly: most delivered.
OUTCOMES = [("delivered", 90), ("shipped", 4), ("failed", 3), ("cancelled", 2), ("reserved", 1)]
STOCK = {"delivered": "committed", "shipped": "committed", "reserved": "held"}
STOCK |= {"failed": "released", "cancelled": "released"}
PAYMENT = {"delivered": "captured", "shipped": "captured", "reserved": "pending"}
PAYMENT |= {"failed": "voided", "cancelled": "voided"}
PARCEL = {"delivered": "delivered", "shipped": "in_transit"}
TIMELINE = {
    "delivered": ("order.placed", "payment.authorized", "shipment.created", "shipment.delivered"),
    "shipped": ("order.placed", "payment.authorized", "shipment.created"),
    "failed": ("order.placed", "order.failed"),
    "cancelled": ("order.placed", "order.cancelled"),
    "reserved": ("order.placed",),
}
ADDRESS = json.dumps(
    {
        "name": "Ada",
        "line1": "1 Lane",
        "line2": None,
        "city": "London",
        "postal_code": "N1",
        "country": "GB",
    }
)


class Requests:
    """The four requests, each timed on its own through the real API."""

    def __init__(self, url: str, customer: str, ops: str, samples: int) -> None:
        self.samples = samples
        self.http = httpx.AsyncClient(base_url=url, timeout=60)
        self.customer = {"Authorization": f"Bearer {customer}"}
        self.ops = {"Authorization": f"Bearer {ops}"}
        self.placed: list[str] = []

    async def place(self) -> None:
        headers = self.customer | {"Idempotency-Key": uuid.uuid4().hex}
        answer = await self.http.post("/v1/orders", json=order_body(0), headers=headers)
        answer.raise_for_status()
        self.placed.append(answer.json()["id"])

    async def read_one(self) -> None:
        order_id = random.choice(self.placed)
        (await self.http.get(f"/v1/orders/{order_id}", headers=self.customer)).raise_for_status()

    async def customer_page(self) -> None:
        answer = await self.http.get("/v1/orders", params={"limit": 20}, headers=self.customer)
        answer.raise_for_status()

    async def operator_page(self) -> None:
        params: dict[str, str | int] = {"limit": 20, "status": "shipped"}
        (await self.http.get("/v1/orders", params=params, headers=self.ops)).raise_for_status()

    async def timings(self) -> dict[str, tuple[float, float]]:
        """p50 and p99 in milliseconds of each request, one at a time."""
        found: dict[str, tuple[float, float]] = {}
        steps: dict[str, Callable[[], Awaitable[None]]] = {
            "place an order (POST, until accepted)": self.place,
            "read one order": self.read_one,
            "a customer's first page": self.customer_page,
            "the operator's page, status=shipped": self.operator_page,
        }
        for name, step in steps.items():
            took: list[float] = []
            for _ in range(self.samples):
                started = time.perf_counter()
                await step()
                took.append((time.perf_counter() - started) * 1000)
            found[name] = (percentile(took, 0.5), percentile(took, 0.99))
        return found


def outcomes(count: int, rng: random.Random) -> Iterator[str]:
    names = [name for name, _ in OUTCOMES]
    weights = [weight for _, weight in OUTCOMES]
    for _ in range(count):
        yield rng.choices(names, weights)[0]


async def seed(dsn: str, count: int, bench_customer: str) -> dict[str, float]:
    """COPY `count` orders of a year into the database; seconds per table."""
    rng = random.Random(7)
    connection = await asyncpg.connect(dsn)
    spent: dict[str, float] = {}
    try:
        # A restore, as pg_restore does it: no triggers (no NOTIFY per timeline), no
        # foreign-key checks row by row; every row written here is consistent.
        await connection.execute("SET session_replication_role = replica")
        customers = [f"usr_seed{n:06d}" for n in range(CUSTOMERS)]
        started = time.perf_counter()
        await connection.copy_records_to_table(
            "users",
            columns=["id", "email", "name", "role", "tier"],
            records=[(c, f"{c}@example.com", c, "customer", "standard") for c in customers],
        )
        spent["users"] = time.perf_counter() - started
        now = datetime.now(UTC)
        for first in range(0, count, BATCH):
            size = min(BATCH, count - first)
            rows = _orders(first, size, customers, bench_customer, now, rng)
            for table, columns, records in rows:
                started = time.perf_counter()
                await connection.copy_records_to_table(table, columns=columns, records=records)
                spent[table] = spent.get(table, 0.0) + time.perf_counter() - started
        started = time.perf_counter()
        await connection.execute("ANALYZE")
        spent["ANALYZE"] = time.perf_counter() - started
    finally:
        await connection.close()
    return spent


def _orders(
    first: int,
    size: int,
    customers: list[str],
    bench_customer: str,
    now: datetime,
    rng: random.Random,
) -> list[tuple[str, list[str], list[tuple[Any, ...]]]]:
    orders, lines, parcels, timeline, keys = [], [], [], [], []
    for offset, status in enumerate(outcomes(size, rng)):
        n = first + offset
        order_id = f"ord_seed{n:012d}"
        # One order in a thousand is the bench customer's: a customer with ~1000.
        customer = bench_customer if n % 1000 == 0 else customers[n % len(customers)]
        placed = now - timedelta(seconds=rng.uniform(3_600, 365 * 86_400))
        shipped = status in ("delivered", "shipped")
        tracking = f"TRK-SEED-{n:012d}" if shipped else None
        orders.append(
            (
                order_id,
                customer,
                f"seed-{n}",
                "f" * 64,
                status,
                "USD",
                2_500,
                ADDRESS,
                STOCK[status],
                PAYMENT[status],
                f"auth_seed{n}" if shipped else None,
                f"shp_seed{n}" if shipped else None,
                PARCEL.get(status),
                "simulated" if shipped else None,
                tracking,
                "payment_declined" if status == "failed" else None,
                0,
                "[]",
                placed,
                placed,
            )
        )
        lines.append((order_id, 1, SKU, 1, 2_500))
        if shipped:
            items = json.dumps([{"sku": SKU, "quantity": 1}])
            parcels.append(
                (
                    order_id,
                    1,
                    "default",
                    items,
                    2_500,
                    PARCEL[status],
                    "committed",
                    "simulated",
                    f"shp_seed{n}",
                    tracking,
                    2_500,
                    placed + timedelta(hours=36) if status == "delivered" else None,
                    placed,
                )
            )
        for step, kind in enumerate(TIMELINE[status]):
            at = placed + timedelta(hours=step * 12)
            timeline.append((order_id, kind, kind, "{}", at))
        keys.append((customer, f"seed-{n}", order_id, "f" * 64, placed, placed + timedelta(days=1)))
    return [
        ("orders", ORDER_COLUMNS, orders),
        ("order_lines", ["order_id", "line_no", "sku", "quantity", "unit_price_amount"], lines),
        ("shipments", SHIPMENT_COLUMNS, parcels),
        ("order_events", ["order_id", "type", "dedupe_key", "data", "at"], timeline),
        ("idempotency_keys", KEY_COLUMNS, keys),
    ]


ORDER_COLUMNS = [
    "id",
    "customer_id",
    "idempotency_key",
    "fingerprint",
    "status",
    "currency",
    "total_amount",
    "shipping_address",
    "stock_status",
    "payment_status",
    "authorization_id",
    "shipment_id",
    "shipment_status",
    "carrier",
    "tracking_number",
    "failure_reason",
    "refunded_total",
    "failed_compensations",
    "created_at",
    "updated_at",
]
SHIPMENT_COLUMNS = [
    "order_id",
    "number",
    "location_id",
    "items",
    "value_amount",
    "state",
    "units",
    "carrier",
    "carrier_shipment_id",
    "tracking_number",
    "captured_amount",
    "delivered_at",
    "updated_at",
]
KEY_COLUMNS = ["caller_id", "key", "order_id", "fingerprint", "created_at", "expires_at"]

# The reads the API runs (db/order_reads.py), as PostgreSQL sees them, with what each
# takes as $1: an order's id, or the customer's.
PLANS = {
    "read one order": (
        "order",
        "SELECT o.*, l.* FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE o.id = $1",
    ),
    "its parcels": ("order", "SELECT * FROM shipments WHERE order_id = ANY(ARRAY[$1::varchar])"),
    "a customer's first page": (
        "customer",
        "SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at DESC, id DESC LIMIT 21",
    ),
    "the operator's page, status=shipped": (
        None,
        "SELECT * FROM orders WHERE status = 'shipped' ORDER BY created_at DESC, id DESC LIMIT 21",
    ),
    "an order's timeline": ("order", "SELECT * FROM order_events WHERE order_id = $1 ORDER BY id"),
}


async def explain(dsn: str, order_id: str, customer_id: str) -> dict[str, str]:
    connection = await asyncpg.connect(dsn)
    try:
        plans = {}
        for name, (takes, sql) in PLANS.items():
            arguments = {"order": [order_id], "customer": [customer_id], None: []}[takes]
            rows = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *arguments)
            plans[name] = "\n".join(row[0] for row in rows)
        return plans
    finally:
        await connection.close()


async def purge(bench: LocalBench) -> tuple[int, float, float]:
    """Expired idempotency keys deleted as the schedule does it: rows, seconds, and
    PostgreSQL's CPU seconds."""
    from db.engine import make_session_factory

    postgres = next(g for g in bench.groups() if g.name == "postgres")
    cpu, started = postgres.cpu(), time.perf_counter()
    async with UnitOfWork(make_session_factory(bench.engine)) as uow:
        deleted = await IdempotencyRepository(uow.session).purge_expired()
        await uow.commit()
    return deleted, time.perf_counter() - started, postgres.cpu() - cpu


async def run(args: argparse.Namespace) -> None:
    bench = LocalBench(Path(tempfile.mkdtemp(prefix="orders-million-")), 1)
    key = await bench.start()
    keys = load_or_create_keys(bench.stack.state / "keys.json")
    requests = Requests(bench.api_url, key, keys.ops, args.samples)
    dsn = bench.stack.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    try:
        for _ in range(20):  # warm the processes' caches and pools
            await requests.place()
        empty = await requests.timings()
        me = (await requests.http.get("/v1/users/me", headers=requests.customer)).json()["id"]
        started = time.perf_counter()
        spent = await seed(dsn, args.orders, me)
        seeded = time.perf_counter() - started
        full = await requests.timings()
        report(args.orders, seeded, spent, empty, full)
        for name, plan in (await explain(dsn, requests.placed[-1], me)).items():
            print(f"\n-- {name}\n{plan}", flush=True)
        deleted, purge_seconds, purge_cpu = await purge(bench)
        print(
            f"\npurge of expired idempotency keys: {deleted:,} rows in {purge_seconds:.1f} s, "
            f"{purge_cpu:.1f} s of PostgreSQL CPU"
        )
    finally:
        await requests.http.aclose()
        await bench.stop()


def report(
    orders: int,
    seeded: float,
    spent: dict[str, float],
    empty: dict[str, tuple[float, float]],
    full: dict[str, tuple[float, float]],
) -> None:
    print(
        f"seeded {orders:,} orders in {seeded:.0f} s: "
        + ", ".join(f"{table} {seconds:.0f} s" for table, seconds in spent.items())
    )
    print(
        f"\n{'ms, one request at a time':<40}{'empty p50':>10}{'p99':>8}"
        f"{f'{orders:,} p50':>14}{'p99':>8}"
    )
    for name, (p50, p99) in empty.items():
        full_p50, full_p99 = full[name]
        print(f"{name:<40}{p50:>10.1f}{p99:>8.1f}{full_p50:>14.1f}{full_p99:>8.1f}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.million", description=__doc__)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200, help="requests of each kind")
    asyncio.run(run(parser.parse_args()))
