"""What an order's provider steps cost Temporal in each shape they could take: the bare
engine's five no-op steps as ordinary activities on their task queue (how provider
calls run), as local activities of the workflow's worker, and as one ordinary
activity that does all five (a batch per step). Each shape runs the same number of
workflows at the same concurrency on one dev server, one after the other; the table
is Temporal's CPU, this process's (worker and client), and the history per workflow.
docs/architecture.md (Decisions) records what was chosen from it.

    python -m benchmarks.activity_shape --workflows 400 --clients 50
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from benchmarks.measure import ProcessGroup, history_shapes, on_a_dev_server
from workflows.search_attributes import ORDER_STATUS

STEPS = 5


@activity.defn
async def shape_step(number: int) -> int:
    return number


@activity.defn
async def shape_batch(steps: int) -> int:
    for number in range(steps):
        await shape_step(number)
    return steps


@workflow.defn
class RemoteSteps:
    @workflow.run
    async def run(self) -> int:
        for number in range(STEPS):
            await workflow.execute_activity(
                shape_step, number, start_to_close_timeout=timedelta(seconds=10)
            )
        return STEPS


@workflow.defn
class LocalSteps:
    @workflow.run
    async def run(self) -> int:
        for number in range(STEPS):
            await workflow.execute_local_activity(
                shape_step, number, start_to_close_timeout=timedelta(seconds=10)
            )
        return STEPS


@workflow.defn
class BatchedSteps:
    @workflow.run
    async def run(self) -> int:
        return int(
            await workflow.execute_activity(
                shape_batch, STEPS, start_to_close_timeout=timedelta(seconds=10)
            )
        )


@workflow.defn
class RemoteStepsWithStatus:
    """Today's shape with the saga's habit: the status search attribute set after each
    step (each an event and a visibility update on the server)."""

    @workflow.run
    async def run(self) -> int:
        for number in range(STEPS):
            await workflow.execute_activity(
                shape_step, number, start_to_close_timeout=timedelta(seconds=10)
            )
            workflow.upsert_search_attributes([ORDER_STATUS.value_set(f"step-{number}")])
        return STEPS


SHAPES: dict[str, Callable[..., Awaitable[int]]] = {
    "activities": RemoteSteps.run,
    "activities, status after each": RemoteStepsWithStatus.run,
    "local activities": LocalSteps.run,
    "one batched activity": BatchedSteps.run,
}


async def run_all(
    client: Client, run: Callable[..., Awaitable[int]], ids: list[str], queue: str, clients: int
) -> None:
    gate = asyncio.Semaphore(clients)

    async def one(workflow_id: str) -> None:
        async with gate:
            await client.execute_workflow(run, id=workflow_id, task_queue=queue)

    await asyncio.gather(*(one(i) for i in ids))


async def measure(client: Client, temporal: ProcessGroup, args: argparse.Namespace) -> None:
    queue = f"shape-{uuid.uuid4().hex[:6]}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[RemoteSteps, RemoteStepsWithStatus, LocalSteps, BatchedSteps],
        activities=[shape_step, shape_batch],
        # The steps' shape is what is compared; this module, run as __main__, would
        # bring the stack's process tools into every sandboxed instance.
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        print(f"{'shape':<32}{'Temporal ms':>12}{'worker+client ms':>18}{'events':>8}{'WFTs':>6}")
        for name, run in SHAPES.items():
            ids = [f"{queue}-{name.replace(' ', '-')}-{i}" for i in range(args.workflows)]
            server, worker = temporal.cpu(), time.process_time()
            await run_all(client, run, ids, queue, args.clients)
            server, worker = temporal.cpu() - server, time.process_time() - worker
            shapes = await history_shapes(client, ids)
            events = sum(s.events for s in shapes) / len(shapes)
            tasks = sum(s.workflow_tasks for s in shapes) / len(shapes)
            per = 1000 / args.workflows
            print(
                f"{name:<32}{server * per:>12.1f}{worker * per:>18.1f}{events:>8.1f}{tasks:>6.1f}"
            )


async def main(args: argparse.Namespace) -> None:
    await on_a_dev_server("orders-shape-", lambda client, temporal: measure(client, temporal, args))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.activity_shape", description=__doc__
    )
    parser.add_argument("--workflows", type=int, default=400)
    parser.add_argument("--clients", type=int, default=50)
    asyncio.run(main(parser.parse_args()))
