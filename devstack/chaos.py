"""Chaos run: orders stream through the real processes while they are killed, stopped
and starved, then everything must settle and the invariant check must pass.

    python -m devstack.chaos --orders 1000 --clients 20

Every process is started here, from the same parts as `make dev` (embedded
PostgreSQL, Redis, the Temporal dev server, the simulators, workers and the API), so
each can be killed on its own. Faults, in order, while clients keep placing orders:

- a worker SIGKILLed and another started; then three workers, two of them killed;
- the Temporal server stopped for several seconds and restarted (the API must answer
  503 problems meanwhile, never a 500 and never hang);
- the whole stack SIGKILLed, PostgreSQL included, and started again;
- the payment provider failing 30% of calls, then throttling half of them (429 with a
  Retry-After), then down for longer than the retry bound;
- the carrier's tracking down (every lookup failing, every webhook lost) for longer
  than a poll's retry bound: parcels are found by polling once it is back;
- the API SIGKILLed and restarted while clients retry with the same Idempotency-Key.

Clients retry every failed or unanswered placement with the same key, as the API
asks. The run prints one report and exits 1 on any violation, server error or order
that did not settle.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from devstack.processes import ProcessStack
from devstack.seed import DemoKeys, load_or_create_keys, seed
from domain.order import TERMINAL_STATUSES
from infra.temporal_client import connect_temporal
from services.books import check

SKU = "POSTER-A2"
TERMINAL = sorted(status.value for status in TERMINAL_STATUSES)
# Short bounds, so an outage longer than the payment bound fits in a short run.
PAYMENT_BOUND_SECONDS = 8
FAST_COMPENSATIONS: dict[str, dict[str, float]] = {
    name: {"maximum_interval_seconds": 2.0}
    for name in ("void_payment", "cancel_shipment", "release_stock")
}
# A poll gives up after two short attempts, so a tracking outage outlasts many polls.
SHORT_POLLS = {"track_shipment": {"start_to_close_seconds": 2.0, "maximum_attempts": 2}}
CHAOS_SETTINGS = {
    "ORDERS_PAYMENT_RETRY_BOUND": f"PT{PAYMENT_BOUND_SECONDS}S",
    "ORDERS_TRACKING_POLL_INTERVAL": "PT10S",
    "ORDERS_TRACKING_POLL_MAX_INTERVAL": "PT40S",
    "ORDERS_ACTIVITY_POLICIES": json.dumps(FAST_COMPENSATIONS | SHORT_POLLS),
    # Slow enough that a cancel taken during the booking can still call the parcel
    # back, even when a killed worker holds the undo up for a while.
    "CARRIER_IN_TRANSIT_AFTER": "3",
    "CARRIER_DELIVERED_AFTER": "30",
}


@dataclass
class Report:
    orders: int = 0
    placed: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    server_errors: list[str] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    faults: list[str] = field(default_factory=list)
    temporal_down_answers: Counter[str] = field(default_factory=Counter)
    temporal_down_slowest: float = 0.0
    unsettled: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    failed_executions: list[str] = field(default_factory=list)
    settle_seconds: float = 0.0
    run_seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not (
            self.server_errors or self.unsettled or self.violations or self.failed_executions
        )

    def lines(self) -> list[str]:
        return [
            f"orders asked for       {self.orders}",
            f"orders placed          {self.placed}",
            f"refused at placing     {dict(self.refused) or 0}",
            f"client retries         {self.retries}",
            f"outcomes               {dict(self.outcomes)}",
            f"faults injected        {len(self.faults)}: {', '.join(self.faults)}",
            f"API while Temporal down {dict(self.temporal_down_answers)}, "
            f"slowest answer {self.temporal_down_slowest:.1f} s",
            f"5xx other than 503     {len(self.server_errors)} {self.server_errors[:5]}",
            f"not settled            {len(self.unsettled)} {self.unsettled[:5]}",
            f"invariant violations   {len(self.violations)}",
            *[f"  {violation}" for violation in self.violations[:20]],
            f"executions Failed      {len(self.failed_executions)} {self.failed_executions[:5]}",
            f"time to settle         {self.settle_seconds:.1f} s after the last fault",
            f"whole run              {self.run_seconds:.1f} s",
        ]


def order_body(index: int) -> dict[str, Any]:
    return {
        "items": [{"sku": SKU, "quantity": 1}],
        "payment": {"token": "tok_ok"},
        "shipping_address": {
            "name": f"Customer {index}",
            "line1": "1 Main St",
            "city": "Springfield",
            "postal_code": "12345",
            "country": "US",
        },
    }


class Clients:
    """Customers placing orders and retrying each with its own key until it is answered."""

    def __init__(self, stack: ProcessStack, keys: DemoKeys, report: Report, seed: int) -> None:
        self.stack = stack
        self.random = random.Random(seed)
        self.auth = {"Authorization": f"Bearer {keys.customer}"}
        self.report = report
        self.order_ids: list[str] = []
        self.http = httpx.AsyncClient(base_url=stack.api_url, timeout=30)

    async def place(self, index: int) -> None:
        key = f"chaos-{index}-{uuid.uuid4().hex[:8]}"
        body = order_body(index)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                response = await self.http.post(
                    "/v1/orders", json=body, headers={**self.auth, "Idempotency-Key": key}
                )
            except httpx.HTTPError:
                self.report.retries += 1
                await asyncio.sleep(0.5)
                continue
            if response.status_code == 201:
                order_id = response.json()["id"]
                self.order_ids.append(order_id)
                self.report.placed += 1
                if self.random.random() < 0.1:
                    await self.cancel(order_id)
                return
            if response.status_code in (409, 422):
                self.report.refused[response.json().get("type", "?")] += 1
                return
            if response.status_code >= 500 and response.status_code != 503:
                self.report.server_errors.append(f"POST {response.status_code} {response.text}")
            self.report.retries += 1
            await asyncio.sleep(float(response.headers.get("Retry-After", "0.5")))
        self.report.server_errors.append(f"order {key} never answered")

    async def cancel(self, order_id: str) -> None:
        try:
            response = await self.http.post(f"/v1/orders/{order_id}/cancel", headers=self.auth)
        except httpx.HTTPError:
            return  # the order goes on; cancelling is best effort for a customer
        if response.status_code >= 500 and response.status_code != 503:
            self.report.server_errors.append(f"cancel {response.status_code} {response.text}")

    async def statuses(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for order_id in self.order_ids:
            try:
                response = await self.http.get(f"/v1/orders/{order_id}", headers=self.auth)
                found[order_id] = response.json()["status"]
            except (httpx.HTTPError, KeyError, ValueError):
                found[order_id] = "unknown"
        return found


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
        await _stock_up(stack, keys, orders)
        clients = Clients(stack, keys, report, seed_value)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(orders):
            queue.put_nowait(index)

        async def client() -> None:
            while not queue.empty():
                await clients.place(queue.get_nowait())
                await asyncio.sleep(pause)

        streaming = asyncio.gather(*(client() for _ in range(concurrency)))
        await _inject_faults(
            stack, clients, report, temporal_down, outage, tracking_outage, fault_gap
        )
        await streaming
        last_fault = time.monotonic()
        report.unsettled = await _settle(clients, report)
        report.settle_seconds = time.monotonic() - last_fault
        temporal = await connect_temporal(settings)
        violations = await check(
            settings, order_ids=clients.order_ids, grace=timedelta(0), temporal=temporal
        )
        report.violations = [str(v) for v in violations]
        query = "WorkflowType = 'OrderWorkflow' AND ExecutionStatus = 'Failed'"
        report.failed_executions = [e.id async for e in temporal.list_workflows(query)]
        await clients.http.aclose()
    finally:
        stack.stop()
    report.run_seconds = time.monotonic() - started
    return report


async def _stock_up(stack: ProcessStack, keys: DemoKeys, orders: int) -> None:
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as http:
        response = await http.put(
            f"/v1/inventory/{SKU}",
            json={"on_hand": orders * 2},
            headers={"Authorization": f"Bearer {keys.admin}"},
        )
        response.raise_for_status()


async def _inject_faults(
    stack: ProcessStack,
    clients: Clients,
    report: Report,
    temporal_down: float,
    outage: float,
    tracking_outage: float,
    fault_gap: float,
) -> None:
    payment = httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.ports['payment']}")
    carrier = httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.ports['carrier']}")

    async def fault(name: str, action: Callable[[], Awaitable[None]]) -> None:
        await asyncio.sleep(fault_gap)  # orders flow between faults
        report.faults.append(name)
        print(f"chaos: {name}", flush=True)
        await action()

    async def kill_a_worker() -> None:
        await asyncio.to_thread(stack.kill, stack.workers[0])
        stack.start_worker()

    async def three_workers_kill_two() -> None:
        while len(stack.workers) < 3:
            stack.start_worker()
        await asyncio.sleep(2)
        await asyncio.to_thread(stack.kill, stack.workers[0])
        await asyncio.to_thread(stack.kill, stack.workers[0])

    async def stop_temporal() -> None:
        await asyncio.to_thread(stack.kill, "temporal")
        report.temporal_down_answers.update(await _probe_while_down(clients, temporal_down))
        await asyncio.to_thread(stack.start_temporal)

    async def kill_the_whole_stack() -> None:
        await asyncio.to_thread(stack.kill_everything)
        await asyncio.sleep(1)
        await asyncio.to_thread(stack.start, 2)

    async def payment_flaky() -> None:
        await payment.put("/admin/faults", json={"error_rate": 0.3})
        await asyncio.sleep(4)
        await payment.put("/admin/faults", json={})

    async def payment_throttled() -> None:
        throttled = {"error_rate": 0.5, "error_status": 429, "retry_after_s": 1}
        await payment.put("/admin/faults", json=throttled)
        await asyncio.sleep(5)
        await payment.put("/admin/faults", json={})

    async def carrier_tracking_down() -> None:
        config = (await carrier.get("/admin/config")).json()
        await carrier.put("/admin/config", json={**config, "lose_webhooks": True})
        await carrier.put("/admin/faults", json={"down": True, "only_methods": ["GET"]})
        await asyncio.sleep(tracking_outage)
        await carrier.put("/admin/faults", json={})
        await carrier.put("/admin/config", json=config)

    async def payment_outage() -> None:
        await payment.put("/admin/faults", json={"down": True})
        await asyncio.sleep(outage)
        await payment.put("/admin/faults", json={})

    async def restart_the_api() -> None:
        await asyncio.to_thread(stack.kill, "api")
        await asyncio.sleep(1)
        await asyncio.to_thread(stack.start_api)

    for name, action in (
        ("worker killed, another started", kill_a_worker),
        ("three workers, two killed", three_workers_kill_two),
        (f"Temporal stopped for {temporal_down:.0f} s", stop_temporal),
        ("whole stack SIGKILLed and restarted", kill_the_whole_stack),
        ("payment failing 30% of calls", payment_flaky),
        ("payment throttling half of its calls (429, Retry-After: 1)", payment_throttled),
        (f"carrier tracking down {tracking_outage:.0f} s, webhooks lost", carrier_tracking_down),
        (f"payment down {outage:.0f} s, past its {PAYMENT_BOUND_SECONDS} s bound", payment_outage),
        ("API SIGKILLed and restarted", restart_the_api),
    ):
        await fault(name, action)
    await payment.aclose()
    await carrier.aclose()


async def _probe_while_down(clients: Clients, seconds: float) -> Counter[str]:
    """What the API answers a new order while Temporal is gone: 503 problems, in time."""
    answers: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        asked = time.monotonic()
        try:
            response = await clients.http.post(
                "/v1/orders",
                json=order_body(-1),
                headers={**clients.auth, "Idempotency-Key": uuid.uuid4().hex},
            )
            answer = str(response.status_code)
            if response.status_code >= 500 and response.status_code != 503:
                clients.report.server_errors.append(f"while Temporal was down: {response.text}")
        except httpx.TimeoutException:
            answer = "hang"
            clients.report.server_errors.append("the API hung while Temporal was down")
        took = time.monotonic() - asked
        clients.report.temporal_down_slowest = max(clients.report.temporal_down_slowest, took)
        answers[answer if took < 20 else f"{answer} (slow)"] += 1
        await asyncio.sleep(0.5)
    return answers


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
    parser = argparse.ArgumentParser(prog="python -m devstack.chaos", description=__doc__)
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


if __name__ == "__main__":
    main()
