"""Runs the chaos: the stack, the store, the customers, the faults, then the check."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from devstack.chaos.after_sale import after_the_sale
from devstack.chaos.customers import Clients
from devstack.chaos.faults import inject_faults
from devstack.chaos.report import Report
from devstack.chaos.settings import CHAOS_SETTINGS, TERMINAL
from devstack.chaos.store import stock_the_store
from devstack.processes import ProcessStack
from devstack.seed import load_or_create_keys, seed
from infra.temporal_client import connect_temporal
from services.books import check


async def run(
    state: Path,
    orders: int,
    concurrency: int,
    *,
    pause: float = 0.0,
    temporal_down: float = 6.0,
    outage: float = 12.0,
    tracking_outage: float = 20.0,
    fault_gap: float = 1.5,
    seed_value: int = 7,
    after_sale: bool = True,
) -> Report:
    """Places `orders` from `concurrency` clients, each pausing `pause` seconds between
    orders, while the faults go in; then waits for every order to finish and checks."""
    report = Report(orders=orders)
    started = time.monotonic()
    stack = ProcessStack(state, CHAOS_SETTINGS)
    stack.start(workers=1)
    try:
        keys = load_or_create_keys(state / "keys.json")
        settings = stack.settings()
        await seed(stack.database_url, settings.api_key_pepper, settings.currency, keys)
        await stock_the_store(stack.api_url, keys.admin, orders)
        clients = Clients(stack, keys, report, seed_value)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(orders):
            queue.put_nowait(index)

        async def client() -> None:
            while not queue.empty():
                await clients.place(queue.get_nowait())
                await asyncio.sleep(pause)

        streaming = asyncio.gather(*(client() for _ in range(concurrency)))
        await inject_faults(
            stack, clients, report, temporal_down, outage, tracking_outage, fault_gap
        )
        await streaming
        last_fault = time.monotonic()
        report.unsettled = await _settle(clients, report)
        report.settle_seconds = time.monotonic() - last_fault
        if after_sale:
            report.unsettled += await after_the_sale(stack, clients, keys.ops, report, outage)
        temporal = await connect_temporal(settings)
        violations = await check(
            settings, order_ids=clients.order_ids, grace=timedelta(0), temporal=temporal
        )
        report.violations = [str(v) for v in violations]
        query = "ExecutionStatus = 'Failed'"  # orders, returns, claims, refunds
        report.failed_executions = [e.id async for e in temporal.list_workflows(query)]
        await clients.http.aclose()
    finally:
        stack.stop()
    report.run_seconds = time.monotonic() - started
    return report


async def _settle(clients: Clients, report: Report, timeout: float = 300) -> list[str]:
    """Waits until every placed order is finished; returns those that never were."""
    deadline = time.monotonic() + timeout
    while True:
        statuses = await clients.statuses()
        open_orders = [o for o, status in statuses.items() if status not in TERMINAL]
        if not open_orders or time.monotonic() > deadline:
            report.outcomes = Counter(statuses.values())
            return [f"{o}: {statuses[o]}" for o in open_orders]
        await asyncio.sleep(1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.chaos", description=sys.modules["devstack.chaos"].__doc__
    )
    parser.add_argument("--orders", type=int, default=200, help="orders to place")
    parser.add_argument("--clients", type=int, default=10, help="concurrent clients")
    parser.add_argument(
        "--pause", type=float, default=0.0, help="seconds each client waits between orders"
    )
    parser.add_argument(
        "--temporal-down", type=float, default=6, help="seconds Temporal stays stopped"
    )
    parser.add_argument(
        "--outage", type=float, default=12, help="seconds the payment provider is down"
    )
    parser.add_argument(
        "--tracking-outage",
        type=float,
        default=20,
        help="seconds the carrier's tracking is down and its webhooks lost",
    )
    parser.add_argument(
        "--fault-gap", type=float, default=1.5, help="seconds of plain traffic before each fault"
    )
    parser.add_argument(
        "--state-dir", type=Path, default=Path(".local/chaos"), help="a fresh folder per run"
    )
    args = parser.parse_args(argv)
    state = args.state_dir / time.strftime("%Y%m%d-%H%M%S")
    report = asyncio.run(
        run(
            state,
            args.orders,
            args.clients,
            pause=args.pause,
            temporal_down=args.temporal_down,
            outage=args.outage,
            tracking_outage=args.tracking_outage,
            fault_gap=args.fault_gap,
        )
    )
    print("\n".join(report.lines()))
    sys.exit(0 if report.passed else 1)
