"""The faults of a chaos run, in order, while customers keep placing orders."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable

import httpx

from devstack.chaos.customers import Clients
from devstack.chaos.report import Report
from devstack.chaos.settings import PAYMENT_BOUND_SECONDS
from devstack.chaos.store import order_body
from devstack.processes import ProcessStack


async def inject_faults(
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
