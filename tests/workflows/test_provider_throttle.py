"""Provider calls are capped per second across every worker process together, by the
bucket they share in Redis."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from typing import Any

import httpx
from temporalio.client import Client

from domain.identity import workflow_id_for
from infra.settings import Settings
from services.order_client import start_and_reserve
from tests.factories import add_product, add_user
from tests.stack import Stack
from tests.workflows.conftest import Saga
from workflows.contracts import OrderView

CAP = 4.0  # payment calls per second, for all workers together
ORDERS = 14


def start_worker(stack: Stack, settings: Settings, log_name: str) -> subprocess.Popen[bytes]:
    env = stack.env(settings)
    env["ORDERS_PROVIDER_RATE_LIMITS"] = f'{{"payment": {CAP}}}'
    with (stack.tmp / log_name).open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "worker"], env=env, stdout=log, stderr=subprocess.STDOUT
        )


def busiest_second(times: list[float]) -> int:
    """The most calls that fell in any one-second window."""
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t - start < 1.0) for i, start in enumerate(times))


async def test_two_workers_together_stay_under_the_payment_cap(
    stack: Stack, client: Client, settings: Settings, session_uow: Any
) -> None:
    queue = f"throttle-{uuid.uuid4().hex[:8]}"
    own = stack.settings(task_queue=queue)
    workers = [start_worker(stack, own, f"throttle-worker-{n}.log") for n in range(2)]
    try:
        sku = await add_product(session_uow, on_hand=100)
        customer, _ = await add_user(session_uow)
        saga = Saga(client, own, session_uow, {})
        saga.customer_id = customer
        orders = [saga.order((sku, 1)) for _ in range(ORDERS)]

        await asyncio.gather(*(start_and_reserve(client, own, order) for order in orders))
        outcomes = await asyncio.gather(
            *(
                asyncio.wait_for(
                    client.get_workflow_handle(
                        workflow_id_for(o.order_id), result_type=OrderView
                    ).result(),
                    120,
                )
                for o in orders
            )
        )
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(20)

    assert {o.status for o in outcomes} == {"delivered"}
    async with httpx.AsyncClient(base_url=stack.payment_url) as payment:
        ledger = (await payment.get("/admin/ledger")).json()
    ours = {
        a["id"] for a in ledger["authorizations"] if a["reference"] in {o.order_id for o in orders}
    }
    times = [op["at"] for op in ledger["operations"] if op.get("id") in ours]
    assert len(times) == 2 * ORDERS  # authorize and capture, each once
    span = max(times) - min(times)
    rate = (len(times) - 1) / span
    print(
        f"\npayment calls: {len(times)} in {span:.2f}s = {rate:.2f}/s (cap {CAP}/s); "
        f"busiest one-second window {busiest_second(times)}"
    )
    # The calls run on the workflow's queue, each booking its turn in Redis: after a
    # burst of one second's worth, calls go at the cap (docs/flow-control.md). Without
    # the cap, all 28 calls would be over in about a second.
    burst = 2 * CAP
    assert span >= (len(times) - burst) / CAP * 0.9
    assert busiest_second(times) <= CAP * 3
