"""The worker's sandbox (`worker.SANDBOX`) refuses what would make a workflow
non-deterministic, in the saga's own modules too, shares only pure modules with the
worker, and still runs and replays the real workflows."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

import workflows.order.saga
from domain.commands import KeysPurged, PurgeExpiredKeys
from tests.saga.conftest import Saga, time_skipping_server
from tests.saga.sandbox_probes import BreaksTheRules, SharedModules
from worker import SANDBOX, compile_workflow_modules
from workflows.housekeeping import PurgeIdempotencyKeysWorkflow

OURS = ("domain", "workflows", "activities", "db", "infra", "outbox", "providers", "services")
IMPURE = ("db", "infra", "outbox", "providers", "services")


@asynccontextmanager
async def sandboxed(
    env: WorkflowEnvironment, workflow: type, activities: list[Callable[..., Any]] | None = None
) -> AsyncIterator[str]:
    """A worker on a queue of its own running `workflow` in the worker's sandbox."""
    queue = f"sandbox-{uuid.uuid4().hex[:8]}"
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[workflow],
        activities=activities or [],
        workflow_runner=SANDBOX,
    ):
        yield queue


async def first_task_failure(handle: WorkflowHandle[Any, Any], timeout: float = 60) -> Any:
    """The failure of the workflow's first failed workflow task, as the history has it."""
    async with asyncio.timeout(timeout):
        while True:
            async for event in handle.fetch_history_events():
                if event.HasField("workflow_task_failed_event_attributes"):
                    return event.workflow_task_failed_event_attributes.failure
                if event.HasField("workflow_execution_completed_event_attributes"):
                    raise AssertionError("the workflow ran to its end: nothing was refused")
            await asyncio.sleep(0.2)


@pytest.fixture(scope="module")
async def server_of_its_own() -> AsyncIterator[WorkflowEnvironment]:
    """For workflows whose tasks fail: once one has, the test server skips no more time,
    which would stall every later test on the session's server."""
    async with time_skipping_server() as env:
        yield env


REFUSED = {
    "datetime.now()": "datetime.datetime.now",
    "time.time()": "time.time",
    "random.random()": "random.random",
    "workflows.order.saga's datetime.now()": "datetime.datetime.now",
    "workflows.order.tracking's datetime.now()": "datetime.datetime.now",
}


@pytest.mark.parametrize("how", REFUSED)
async def test_the_sandbox_refuses_the_clock_and_randomness(
    server_of_its_own: WorkflowEnvironment, how: str
) -> None:
    async with sandboxed(server_of_its_own, BreaksTheRules) as queue:
        handle = await server_of_its_own.client.start_workflow(
            BreaksTheRules.run, how, id=f"breaks-{uuid.uuid4().hex[:8]}", task_queue=queue
        )
        try:
            failure = await first_task_failure(handle)
        finally:
            with contextlib.suppress(RPCError):  # a workflow that ended needs no stopping
                await handle.terminate("the test has seen what it needed")

    assert failure.application_failure_info.type == "RestrictedWorkflowAccessError"
    assert f"Cannot access {REFUSED[how]}" in failure.message


async def test_the_sandbox_shares_only_pure_modules_with_the_worker(
    time_skipping: WorkflowEnvironment,
) -> None:
    worker_modules = {
        name: id(module)
        for name, module in list(sys.modules.items())
        if module is not None and name.split(".")[0] in OURS
    }
    assert "workflows.order.saga" in worker_modules and "db.orders" in worker_modules

    async with sandboxed(time_skipping, SharedModules) as queue:
        shared = await asyncio.wait_for(
            time_skipping.client.execute_workflow(
                SharedModules.run,
                worker_modules,
                id=f"shared-{uuid.uuid4().hex[:8]}",
                task_queue=queue,
            ),
            timeout=60,
        )

    pure = {"workflows.contracts", "workflows.step_row"}
    workflow_code = [n for n in shared if n.startswith("workflows") and n not in pure]
    assert workflow_code == []  # imported inside the sandbox, where the clock is guarded
    assert [n for n in shared if n.split(".")[0] in IMPURE] == []
    # The pure ones are the worker's own: the workflow's inputs are the classes the
    # client and the activities use, the step table's rows the worker's.
    assert {"domain.order", "domain.commands", *pure} <= set(shared)


async def test_the_order_saga_runs_and_replays_in_the_sandbox(saga: Saga) -> None:
    order = saga.order()

    view = await saga.run(order)

    assert view.status == "delivered"
    assert await saga.replay_failures(order) == []


async def test_the_housekeeping_workflow_runs_in_the_sandbox(
    time_skipping: WorkflowEnvironment,
) -> None:
    @activity.defn(name="purge_expired_idempotency_keys")
    async def purge(_: PurgeExpiredKeys) -> KeysPurged:
        return KeysPurged(deleted=3)

    async with sandboxed(time_skipping, PurgeIdempotencyKeysWorkflow, [purge]) as queue:
        purged = await asyncio.wait_for(
            time_skipping.client.execute_workflow(
                PurgeIdempotencyKeysWorkflow.run,
                PurgeExpiredKeys(),
                id=f"purge-{uuid.uuid4().hex[:8]}",
                task_queue=queue,
            ),
            timeout=60,
        )

    assert purged == KeysPurged(deleted=3)


def test_the_worker_writes_the_bytecode_the_sandbox_imports_for_every_instance() -> None:
    # Without it each new workflow instance compiles the saga's source again.
    saga = Path(workflows.order.saga.__file__)
    cached = Path(importlib.util.cache_from_source(str(saga)))
    cached.unlink(missing_ok=True)

    compile_workflow_modules()

    assert cached.exists()
    assert cached.stat().st_mtime >= saga.stat().st_mtime
