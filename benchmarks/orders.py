"""`make bench`: orders through the real API, beside the engine's own ceiling.

    python -m benchmarks.orders                    # the whole stack, started here
    python -m benchmarks.orders --clients 50 --orders 600 --json bench.json
    python -m benchmarks.orders --url https://orders.example --key $KEY   # a deployment

Started here, every process runs on its own (embedded PostgreSQL, Redis, the Temporal
dev server, the simulators with no added latency and a carrier that delivers at once,
one worker, the API), so the CPU each spends per order can be read. In order:

1. the bare engine: a workflow with five no-op activities, started by update-with-start
   whose update answers after the first, at the same concurrency (`bare_engine.py`);
2. warm-up orders, not counted;
3. orders at a fixed concurrency: each client places its next order when the last one
   is accepted;
4. orders at a fixed arrival rate (`--rate`, default 80% of what step 3 completed);
5. returns of delivered orders of step 3 (`--returns`, `returns.py`): the cost of a
   return beside the cost of an order ("placed→delivered" is asked→refunded there).

It prints one table, with our figures also as ratios of the bare engine's, and writes
JSON for comparing commits. Against a deployment by URL only the HTTP figures exist.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy

from benchmarks.bare_engine import BareOrderWorkflow
from benchmarks.goals import goals_table
from benchmarks.measure import (
    Phase,
    ProcessGroup,
    counter_total,
    cpu_snapshot,
    cpu_spent,
    histogram_buckets,
    histogram_percentile,
    history_shapes,
    per_order,
    percentile,
)
from benchmarks.returns import measure_returns
from db.engine import make_engine
from devstack.processes import NO_RELAY, ProcessStack
from devstack.seed import load_or_create_keys, seed
from domain.identity import workflow_id_for
from domain.order import TERMINAL_STATUSES

SKU = "POSTER-A2"
TERMINAL = sorted(status.value for status in TERMINAL_STATUSES)


def carrier_settings(after: float) -> dict[str, str]:
    """Providers answer at once and by default the carrier delivers at once: what is
    measured is the service, not the simulated world. Then its news overtakes the
    booking's commit; `after` > 0 reports `in_transit` that many seconds after the
    booking and `delivered` twice as many, as a real carrier's news follows it."""
    return {"CARRIER_IN_TRANSIT_AFTER": str(after), "CARRIER_DELIVERED_AFTER": str(2 * after)}


SCHEDULE_TO_START = "temporal_workflow_task_schedule_to_start_latency_seconds"
OUTBOX_LAG = "orders_outbox_lag_seconds"
STATEMENTS = "orders_db_statements_total"
# The SDK's count of its calls to the server, by operation.
SDK_REQUESTS = "temporal_request_total"
HEARTBEAT = 'operation="RecordActivityTaskHeartbeat"'
# A workflow task its worker had no cached instance for: the sandbox imports the
# workflow afresh and replays its whole history.
CACHE_MISSES = "temporal_sticky_cache_miss_total"


def sku_of_line(line: int) -> str:
    return SKU if line == 0 else f"BENCH-LINE-{line:03d}"


def order_body(index: int, lines: int = 1) -> dict[str, Any]:
    return {
        "items": [{"sku": sku_of_line(line), "quantity": 1} for line in range(lines)],
        "payment": {"token": "tok_ok"},
        "shipping_address": {
            "name": f"Bench {index}",
            "line1": "1 Main St",
            "city": "Springfield",
            "postal_code": "12345",
            "country": "US",
        },
    }


class Placer:
    """Places orders through the API as a well-behaved client: every failure or 503 is
    retried with the same Idempotency-Key."""

    def __init__(self, url: str, key: str, lines: int = 1) -> None:
        self.lines = lines
        self.http = httpx.AsyncClient(
            base_url=url,
            timeout=60,
            limits=httpx.Limits(max_connections=500, max_keepalive_connections=500),
        )
        self.auth = {"Authorization": f"Bearer {key}"}

    async def place(self, phase: Phase, index: int) -> str | None:
        key = f"bench-{uuid.uuid4().hex}"
        started = time.monotonic()
        while True:
            try:
                response = await self.http.post(
                    "/v1/orders",
                    json=order_body(index, self.lines),
                    headers={**self.auth, "Idempotency-Key": key},
                )
            except httpx.HTTPError:
                phase.retried += 1
                continue
            if response.status_code == 201:
                phase.accept.append(time.monotonic() - started)
                return str(response.json()["id"])
            if response.status_code < 500:
                phase.refused += 1
                return None
            phase.retried += 1
            await asyncio.sleep(float(response.headers.get("Retry-After", "0.2")))


async def closed_loop(
    count: int, clients: int, one: Callable[[int], Awaitable[str | None]]
) -> list[str]:
    """`clients` clients, each starting its next order when the last is accepted."""
    queue = iter(range(count))
    placed: list[str] = []

    async def client() -> None:
        for index in queue:
            order_id = await one(index)
            if order_id:
                placed.append(order_id)

    await asyncio.gather(*(client() for _ in range(clients)))
    return placed


async def open_loop(
    count: int, rate: float, one: Callable[[int], Awaitable[str | None]]
) -> list[str]:
    """One order every 1/rate seconds, whether or not earlier ones were answered."""
    started = time.monotonic()
    tasks: list[asyncio.Future[str | None]] = []
    for index in range(count):
        delay = started + index / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(index)))
    return [order_id for order_id in await asyncio.gather(*tasks) if order_id]


class LocalBench:
    """The stack started here, with its processes, database and Temporal at hand."""

    def __init__(
        self, state: Path, workers: int, relay_in_worker: bool = False, carrier_after: float = 0
    ) -> None:
        # As deployed, one process of its own relays and the workers none; the relay
        # can run in each worker instead, to compare.
        relay = {} if relay_in_worker else NO_RELAY
        self.stack = ProcessStack(state, {**carrier_settings(carrier_after), **relay})
        self.workers = workers
        self.relays = 0 if relay_in_worker else 1
        self.bare_queue = f"bare-{uuid.uuid4().hex[:6]}"

    async def start(self, lines: int = 1, locations: int = 1) -> str:
        """Starts the stack and stocks the skus of `lines` lines; with more than one
        location, line i's sku is held only at location i mod `locations`, so that an
        order of as many lines as locations ships one parcel from each."""
        await asyncio.to_thread(self.stack.start, self.workers, self.relays)
        keys = load_or_create_keys(self.stack.state / "keys.json")
        settings = self.stack.settings()
        await seed(self.stack.database_url, settings.api_key_pepper, settings.currency, keys)
        admin = {"Authorization": f"Bearer {keys.admin}"}
        async with httpx.AsyncClient(base_url=self.stack.api_url, timeout=30) as http:
            places = ["default"]
            for number in range(2, locations + 1):
                place = {"id": f"bench-{number}", "name": f"Bench warehouse {number}"}
                created = await http.post(
                    "/v1/locations", json={**place, "country": "US"}, headers=admin
                )
                created.raise_for_status()
                places.append(place["id"])
            for line in range(lines):
                sku = sku_of_line(line)
                if line > 0:
                    price = {"amount": 100, "currency": settings.currency}
                    product = {"sku": sku, "name": f"Bench line {line}", "price": price}
                    created = await http.post("/v1/products", json=product, headers=admin)
                    created.raise_for_status()
                where = places[line % locations]
                stocked = await http.put(
                    f"/v1/locations/{where}/inventory/{sku}",
                    json={"on_hand": 10_000_000},
                    headers=admin,
                )
                stocked.raise_for_status()
        self.stack.spawn(
            "bare-worker",
            [
                sys.executable,
                "-m",
                "benchmarks.bare_engine",
                "worker",
                "--address",
                settings.temporal_address,
                "--task-queue",
                self.bare_queue,
            ],
        )
        self.temporal = await Client.connect(settings.temporal_address)
        self.engine = make_engine(self.stack.database_url)
        return keys.customer

    @property
    def api_url(self) -> str:
        return self.stack.api_url

    def groups(self) -> list[ProcessGroup]:
        processes = self.stack.processes

        def pids(*names: str) -> tuple[int, ...]:
            return tuple(processes[n].pid for n in names if n in processes)

        return [
            ProcessGroup("api", pids("api")),
            ProcessGroup("worker", pids(*self.stack.workers)),
            *([ProcessGroup("relay", pids(*self.stack.relays))] if self.stack.relays else []),
            ProcessGroup("temporal", pids("temporal")),
            ProcessGroup(
                "postgres", (self.stack.postgres.get_postmaster_info().process.pid,), True
            ),
            ProcessGroup("simulators", pids("payment", "carrier", "email")),
            ProcessGroup("redis", pids("redis")),
            ProcessGroup("bare_worker", pids("bare-worker")),
        ]

    async def sdk_buckets(self) -> dict[float, float]:
        return await self.worker_histogram(SCHEDULE_TO_START, 'task_queue="orders"')

    async def statements(self) -> float:
        """SQL statements sent so far by the API and every worker."""
        ports = [self.stack.ports["api-metrics"], *self.stack.worker_ports.values()]
        return await self.counter(STATEMENTS, ports)

    async def counter(self, name: str, ports: list[int], label: str = "") -> float:
        total = 0.0
        async with httpx.AsyncClient(timeout=10) as http:
            for port in ports:
                metrics = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
                total += counter_total(metrics, name, label)
        return total

    async def worker_histogram(self, name: str, label: str = "") -> dict[float, float]:
        """One histogram's cumulative buckets, summed over every worker's /metrics."""
        total: dict[float, float] = {}
        async with httpx.AsyncClient(timeout=10) as http:
            for port in self.stack.worker_ports.values():
                metrics = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
                for bound, count in histogram_buckets(metrics, name, label).items():
                    total[bound] = total.get(bound, 0.0) + count
        return total

    async def bare(self, count: int, clients: int) -> Phase:
        phase = Phase("bare engine", orders=count)
        done: list[asyncio.Task[int]] = []
        finished_at: list[float] = []

        async def one(index: int) -> str:
            workflow_id = f"{self.bare_queue}-{index}"
            start = WithStartWorkflowOperation(
                BareOrderWorkflow.run,
                id=workflow_id,
                task_queue=self.bare_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )
            asked = time.monotonic()
            await self.temporal.execute_update_with_start_workflow(
                BareOrderWorkflow.accepted, start_workflow_operation=start
            )
            phase.accept.append(time.monotonic() - asked)

            async def finish() -> int:
                result = await self.temporal.get_workflow_handle(workflow_id).result()
                finished_at.append(time.monotonic())
                return int(result)

            done.append(asyncio.create_task(finish()))
            return workflow_id

        before = cpu_snapshot(self.groups())
        started = time.monotonic()
        ids = await closed_loop(count, clients, one)
        await asyncio.gather(*done)
        phase.seconds = max(finished_at) - started
        phase.cpu = per_order(cpu_spent(before, cpu_snapshot(self.groups())), count)
        await self.history_figures(phase, ids)
        return phase

    async def orders(self, phase: Phase, place: Callable[[], Awaitable[list[str]]]) -> Phase:
        before_cpu = cpu_snapshot(self.groups())
        before_sdk = await self.sdk_buckets()
        before_lag = await self.worker_histogram(OUTBOX_LAG)
        before_statements = await self.statements()
        workers = list(self.stack.worker_ports.values())
        before_misses = await self.counter(CACHE_MISSES, workers)
        before_beats = await self.counter(SDK_REQUESTS, workers, HEARTBEAT)
        wall_start = time.time()
        ids = await place()
        await self.wait_finished(ids)
        phase.orders = len(ids)
        timings = await self.timings(ids)
        finished = [t["delivered"] for t in timings.values() if t.get("delivered")]
        phase.seconds = (max(finished) - wall_start) if finished else math.nan
        for t in timings.values():
            if t.get("shipped"):
                phase.to_shipped.append(t["shipped"] - t["placed"])
            if t.get("delivered"):
                phase.to_delivered.append(t["delivered"] - t["placed"])
        phase.not_delivered = len(ids) - len(finished)
        phase.cpu = per_order(cpu_spent(before_cpu, cpu_snapshot(self.groups())), len(ids))
        phase.statements = (await self.statements() - before_statements) / len(ids)
        misses = await self.counter(CACHE_MISSES, workers) - before_misses
        phase.cache_misses = misses / len(ids)
        phase.shipments = await self.shipments(ids) / len(ids)
        beats = await self.counter(SDK_REQUESTS, workers, HEARTBEAT) - before_beats
        phase.heartbeats = beats / len(ids)
        phase.sdk_schedule_to_start_p99 = histogram_percentile(
            before_sdk, await self.sdk_buckets(), 0.99
        )
        after_lag = await self.worker_histogram(OUTBOX_LAG)
        phase.outbox_lag_p50 = histogram_percentile(before_lag, after_lag, 0.5)
        phase.outbox_lag_p99 = histogram_percentile(before_lag, after_lag, 0.99)
        await self.history_figures(phase, [workflow_id_for(i) for i in ids])
        return phase

    async def wait_finished(self, ids: list[str], timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        query = text("SELECT count(*) FROM orders WHERE id = ANY(:ids) AND status = ANY(:done)")
        while time.monotonic() < deadline:
            async with self.engine.connect() as connection:
                finished = await connection.scalar(query, {"ids": ids, "done": list(TERMINAL)})
            if finished == len(ids):
                return
            await asyncio.sleep(0.5)

    async def shipments(self, ids: list[str]) -> int:
        query = text("SELECT count(*) FROM shipments WHERE order_id = ANY(:ids)")
        async with self.engine.connect() as connection:
            return int(await connection.scalar(query, {"ids": ids}) or 0)

    async def delivered(self, ids: list[str]) -> list[str]:
        query = text("SELECT id FROM orders WHERE id = ANY(:ids) AND status = 'delivered'")
        async with self.engine.connect() as connection:
            found = set((await connection.execute(query, {"ids": ids})).scalars())
        return [order_id for order_id in ids if order_id in found]

    async def timings(self, ids: list[str]) -> dict[str, dict[str, float]]:
        """Epoch seconds of each order's placing, shipping and delivery, as committed."""
        query = text(
            "SELECT order_id, type, extract(epoch FROM at) FROM order_events "
            "WHERE order_id = ANY(:ids) AND type = ANY(:types)"
        )
        names = {"order.placed": "placed", "shipment.created": "shipped"}
        names["shipment.delivered"] = "delivered"
        found: dict[str, dict[str, float]] = {}
        async with self.engine.connect() as connection:
            rows = await connection.execute(query, {"ids": ids, "types": list(names)})
            for order_id, kind, at in rows:
                found.setdefault(order_id, {})[names[kind]] = float(at)
        return found

    async def history_figures(self, phase: Phase, workflow_ids: list[str]) -> None:
        shapes = await history_shapes(self.temporal, workflow_ids)
        if not shapes:
            return
        phase.history_events = sum(s.events for s in shapes) / len(shapes)
        phase.workflow_tasks = sum(s.workflow_tasks for s in shapes) / len(shapes)
        phase.signals = sum(s.signals for s in shapes) / len(shapes)
        phase.workflow_task_timeouts = sum(s.workflow_task_timeouts for s in shapes)
        waits = [wait for s in shapes for wait in s.workflow_task_waits]
        phase.workflow_task_wait_p99 = percentile(waits, 0.99)

    async def stop(self) -> None:
        await self.engine.dispose()
        await asyncio.to_thread(self.stack.stop)


def table(phases: list[Phase], bare: Phase | None) -> str:
    rows = [
        ("orders/s completed", "orders_per_second", "{:.1f}", True),
        ("POST accept p50 (s)", "accept_p50", "{:.3f}", False),
        ("POST accept p95 (s)", "accept_p95", "{:.3f}", False),
        ("POST accept p99 (s)", "accept_p99", "{:.3f}", False),
        ("placed→shipped p50 (s)", "to_shipped_p50", "{:.2f}", False),
        ("placed→shipped p99 (s)", "to_shipped_p99", "{:.2f}", False),
        ("placed→delivered p50 (s)", "to_delivered_p50", "{:.2f}", False),
        ("placed→delivered p99 (s)", "to_delivered_p99", "{:.2f}", False),
        ("shipments / order", "shipments", "{:.2f}", False),
        ("activity heartbeats / order", "heartbeats", "{:.2f}", False),
        ("history events / order", "history_events", "{:.1f}", False),
        ("workflow tasks / order", "workflow_tasks", "{:.1f}", False),
        ("signals / order", "signals", "{:.2f}", False),
        ("workflow task timeouts", "workflow_task_timeouts", "{:d}", False),
        ("SQL statements / order", "sql_statements", "{:.1f}", False),
        ("workflow cache misses / order", "cache_misses", "{:.2f}", False),
        ("WFT schedule→start p99, history (s)", "workflow_task_wait_p99", "{:.3f}", False),
        ("WFT schedule→start p99, SDK (s)", "sdk_schedule_to_start_p99", "{:.3f}", False),
        ("outbox commit→delivered p50 (s)", "outbox_lag_p50", "{:.3f}", False),
        ("outbox commit→delivered p99 (s)", "outbox_lag_p99", "{:.3f}", False),
        ("not delivered / refused / retried", None, "", False),
    ]
    columns = ([bare] if bare else []) + phases
    width = 38
    lines = [f"{'':<{width}}" + "".join(f"{p.name:>22}" for p in columns)]
    for label, key, shape, ratio in rows:
        cells = []
        for phase in columns:
            summary = phase.summary()
            if key is None:
                cells.append(f"{phase.not_delivered}/{phase.refused}/{phase.retried}")
                continue
            value = summary[key]
            cell = "-" if isinstance(value, float) and math.isnan(value) else shape.format(value)
            if bare and phase is not bare and key.startswith("accept"):
                cell += f" ({value / bare.summary()[key]:.1f}x)"
            if ratio and bare and phase is not bare:
                cell += f" ({value / bare.per_second:.0%})"
            cells.append(cell)
        lines.append(f"{label:<{width}}" + "".join(f"{c:>22}" for c in cells))
    processes = sorted({name for p in columns for name in p.cpu})
    for name in processes:
        cells = [f"{p.cpu[name] * 1000:.1f} ms" if name in p.cpu else "-" for p in columns]
        lines.append(f"{'CPU / order, ' + name:<{width}}" + "".join(f"{c:>22}" for c in cells))
    return "\n".join(lines)


async def run_local(args: argparse.Namespace) -> tuple[list[Phase], Phase]:
    bench = LocalBench(
        Path(tempfile.mkdtemp(prefix="orders-bench-")),
        args.workers,
        args.relay_in_worker,
        args.carrier_after,
    )
    key = await bench.start(args.lines, args.locations)
    placer = Placer(bench.stack.api_url, key, args.lines)
    try:
        bare = await bench.bare(args.orders, args.clients)
        warm = Phase("warm-up")
        await closed_loop(args.warmup, args.clients, lambda i: placer.place(warm, i))
        concurrency_phase = Phase(f"{args.clients} clients")
        measured: list[str] = []

        async def place_measured() -> list[str]:
            measured.extend(
                await closed_loop(
                    args.orders, args.clients, lambda i: placer.place(concurrency_phase, i)
                )
            )
            return measured

        await bench.orders(concurrency_phase, place_measured)
        rate = args.rate or max(1.0, 0.8 * concurrency_phase.per_second)
        rate_phase = Phase(f"{rate:.1f} orders/s")
        await bench.orders(
            rate_phase,
            lambda: open_loop(args.orders, rate, lambda i: placer.place(rate_phase, i)),
        )
        phases = [concurrency_phase, rate_phase]
        if args.returns:
            ops_key = load_or_create_keys(bench.stack.state / "keys.json").ops
            delivered = await bench.delivered(measured[: args.returns])
            returns = await measure_returns(
                bench, SKU, key, ops_key, delivered, min(args.clients, 20)
            )
            phases.append(returns)
        return phases, bare
    finally:
        await placer.http.aclose()
        await bench.stop()


async def run_remote(args: argparse.Namespace) -> list[Phase]:
    """Against a deployment: accept latency only (completion needs its database)."""
    placer = Placer(args.url, args.key)
    try:
        warm = Phase("warm-up")
        await closed_loop(args.warmup, args.clients, lambda i: placer.place(warm, i))
        phase = Phase(f"{args.clients} clients")
        started = time.monotonic()
        phase.orders = len(
            await closed_loop(args.orders, args.clients, lambda i: placer.place(phase, i))
        )
        phase.seconds = time.monotonic() - started  # accepted, not completed, per second
        return [phase]
    finally:
        await placer.http.aclose()


def _count_option(parser: argparse.ArgumentParser, flag: str, most: int, what: str) -> None:
    """A count from 1 (the default) to `most`, for the local stack only."""
    parser.add_argument(
        flag,
        type=int,
        default=1,
        choices=range(1, most + 1),
        metavar=f"1..{most}",
        help=f"{what}; the local stack only",
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.orders", description=__doc__)
    parser.add_argument("--orders", type=int, default=600, help="orders per measured phase")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--warmup", type=int, default=100, help="orders before measuring")
    parser.add_argument("--rate", type=float, default=0.0, help="arrival rate, orders/s")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument(
        "--relay-in-worker",
        action="store_true",
        help="the outbox relay in each worker, not in a process of its own as deployed",
    )
    _count_option(parser, "--lines", 100, "lines (distinct skus) per order")
    _count_option(
        parser,
        "--locations",
        10,
        "locations the lines' skus are spread over (line i at location i mod N), so an "
        "order of N lines ships N parcels",
    )
    parser.add_argument(
        "--carrier-after",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="the carrier reports in_transit this long after booking and delivered twice "
        "as long (default: at once, before the booking is recorded); the local stack only",
    )
    parser.add_argument(
        "--returns", type=int, default=100, help="returns of delivered orders (0: none)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--url", help="measure this deployment instead of a local stack")
    parser.add_argument("--key", help="a customer API key of that deployment")
    args = parser.parse_args(argv)
    if args.url and not args.key:
        parser.error("--url needs --key")

    bare: Phase | None = None
    if args.url:
        phases = asyncio.run(run_remote(args))
    else:
        phases, bare = asyncio.run(run_local(args))
    print(table(phases, bare))
    if bare is not None:
        print()
        print(goals_table(phases[1], phases[0], bare))
    if args.json:
        figures = {p.name: p.summary() for p in ([bare] if bare else []) + phases}
        run = {"args": {k: str(v) for k, v in vars(args).items() if k != "key"}}
        args.json.write_text(json.dumps(run | figures, indent=2))


if __name__ == "__main__":
    main()
