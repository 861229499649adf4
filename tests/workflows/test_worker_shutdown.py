"""On SIGTERM a worker stops polling but lets the provider call in flight finish."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import uuid
from typing import Any

import httpx
from temporalio.api.enums.v1 import EventType, PendingActivityState
from temporalio.client import Client

from domain.identity import workflow_id_for
from services.order_client import start_and_reserve
from tests.factories import add_product, add_user
from tests.polling import eventually
from tests.stack import Stack
from tests.workflows.conftest import Saga


async def test_a_stopping_worker_finishes_the_activity_it_is_running(
    stack: Stack, client: Client, session_uow: Any, simulators: dict[str, httpx.AsyncClient]
) -> None:
    settings = stack.settings(task_queue=f"shutdown-{uuid.uuid4().hex[:8]}")
    with (stack.tmp / "shutdown-worker.log").open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "worker"],
            env=stack.env(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    saga = Saga(client, settings, session_uow, simulators)
    saga.customer_id, _ = await add_user(session_uow)
    order = saga.order((await add_product(session_uow), 1))
    handle = client.get_workflow_handle(workflow_id_for(order.order_id))
    try:
        await start_and_reserve(client, settings, order)
        await saga.faults("payment", latency_ms=2_500)  # the authorization takes a while

        async def authorizing() -> bool:
            return await _running(handle, "authorize_payment")

        await eventually(authorizing)
        worker.send_signal(signal.SIGTERM)
        exit_code = await asyncio.to_thread(worker.wait, 30)

        assert exit_code == 0
        assert await _completed(handle, "authorize_payment")
        assert await saga.payment_operations(order.order_id) == ["authorize"]
    finally:
        if worker.poll() is None:
            worker.kill()
        await handle.terminate("test over")


async def _events(handle: Any, kind: int) -> list[Any]:
    history = await handle.fetch_history()
    return [event for event in history.events if event.event_type == kind]


async def _running(handle: Any, activity: str) -> bool:
    """Whether a worker has picked up this activity and not yet finished it."""
    description = await handle.describe()
    return any(
        pending.activity_type.name == activity
        and pending.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
        for pending in description.raw_description.pending_activities
    )


async def _completed(handle: Any, activity: str) -> bool:
    scheduled = {
        e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
        for e in await _events(handle, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    }
    return any(
        scheduled.get(e.activity_task_completed_event_attributes.scheduled_event_id) == activity
        for e in await _events(handle, EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
    )
