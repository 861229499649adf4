"""The cost of a return, beside the cost of an order (`make bench`, local stack only):
delivered orders of the measured phase each return their unit, the carrier reports
the label at once, an operator receives it restocked and the refund is paid. CPU per
process and history events are per return, its refund's workflow included."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any, Protocol

import httpx
from temporalio.client import Client

from benchmarks.measure import (
    Phase,
    ProcessGroup,
    cpu_snapshot,
    cpu_spent,
    history_shapes,
    per_order,
)


class Stack(Protocol):
    """What the bench's local stack gives: where the API is, its processes, Temporal."""

    @property
    def api_url(self) -> str: ...

    @property
    def temporal(self) -> Client: ...

    def groups(self) -> list[ProcessGroup]: ...


async def measure_returns(
    bench: Stack,
    sku: str,
    customer_key: str,
    ops_key: str,
    order_ids: list[str],
    clients: int,
) -> Phase:
    phase = Phase(f"{len(order_ids)} returns")
    customer = {"Authorization": f"Bearer {customer_key}"}
    ops = {"Authorization": f"Bearer {ops_key}"}
    refunds: list[str] = []
    returns: list[str] = []
    async with httpx.AsyncClient(base_url=bench.api_url, timeout=60) as http:

        async def until(path: str, status: str) -> dict[str, Any]:
            while True:
                body: dict[str, Any] = (await http.get(path, headers=customer)).json()
                if body.get("status") == status:
                    return body
                await asyncio.sleep(0.2)

        async def one(order_id: str) -> None:
            asked = time.monotonic()
            created = await http.post(
                f"/v1/orders/{order_id}/returns",
                json={"items": [{"sku": sku, "quantity": 1, "reason": "no_longer_needed"}]},
                headers={**customer, "Idempotency-Key": uuid.uuid4().hex},
            )
            created.raise_for_status()
            phase.accept.append(time.monotonic() - asked)
            return_id = created.json()["id"]
            await until(f"/v1/returns/{return_id}", "in_transit")
            received = await http.post(
                f"/v1/returns/{return_id}/receive",
                json={"items": [{"sku": sku, "restock": 1}]},
                headers=ops,
            )
            received.raise_for_status()
            closed = await until(f"/v1/returns/{return_id}", "closed")
            phase.to_delivered.append(time.monotonic() - asked)  # asked → refunded
            returns.append(return_id)
            refunds.append(closed["refund"]["refund_id"])

        queue = iter(order_ids)

        async def client() -> None:
            for order_id in queue:
                await one(order_id)

        before = cpu_snapshot(bench.groups())
        started = time.monotonic()
        await asyncio.gather(*(client() for _ in range(clients)))
        phase.seconds = time.monotonic() - started
        phase.orders = len(returns)
        phase.cpu = per_order(cpu_spent(before, cpu_snapshot(bench.groups())), len(returns))
    shapes = await history_shapes(
        bench.temporal, [f"return-{r}" for r in returns] + [f"refund-{r}" for r in refunds]
    )
    if returns:
        phase.history_events = sum(s.events for s in shapes) / len(returns)
        phase.workflow_tasks = sum(s.workflow_tasks for s in shapes) / len(returns)
    return phase
