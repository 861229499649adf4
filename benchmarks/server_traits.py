"""What each trait of an order's workflow costs the Temporal server, one at a time.

`make bench` finds the server spending about twice as much CPU on an order as on the
bare engine's workflow (`bare_engine.py`: five no-op activities, update-with-start),
with fewer history events. An order differs from it in a few ways the server sees: a
larger input, search attributes at the start and upserted on the way, a patch marker
(which the SDK follows with an upsert of `TemporalChangeVersion`), carrier news by
signal, steps on the providers' own task queues, a priority and fairness key, a
summary on each step, and its database steps as local activities. Here the bare
workflow runs with each trait alone, then with all of them, on one dev server
configured as the stack's (`make dev`); the table is the server's CPU per workflow.

    python -m benchmarks.server_traits --workflows 300 --clients 50
    python -m benchmarks.server_traits --rounds 5 bare "+ a patch marker"  # side by side
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import uuid
from dataclasses import dataclass, field, replace
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
)
from temporalio.common import (
    Priority,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkerDeploymentVersion,
    WorkflowIDConflictPolicy,
)
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkerDeploymentConfig

from benchmarks.measure import ProcessGroup, history_shapes, on_a_dev_server
from workflows.search_attributes import CUSTOMER_ID, CUSTOMER_TIER, ORDER_STATUS

STEPS = 5
PATCH = "server-traits-patch"


@dataclass(frozen=True)
class Traits:
    padding: int = 0  # bytes of input beyond the bare workflow's
    upserts: int = 0  # status upserts on the way (an order makes two after the start)
    patch: bool = False
    signals: int = 0  # sent by the client once the update has answered
    provider_queues: bool = False  # the middle three steps on two other queues
    fairness: bool = False
    summaries: bool = False
    local_ends: bool = False  # the first and last steps as local activities
    # Workers that declare a deployment version (not a versioned deployment), or only a
    # build id: recorded with every workflow task, where a patch marker would be.
    # "", "-dv" (deployment version), "-b" (build id), "-ne" (no eager activities:
    # a step on the workflow's own queue is otherwise handed to the worker with the
    # workflow task's answer, as a step on another queue never is)
    workers: str = ""
    queue: str = ""
    padding_text: str = field(default="", repr=False)


@activity.defn
async def trait_step(number: int) -> int:
    return number


@workflow.defn
class TraitsWorkflow:
    def __init__(self) -> None:
        self._first_done = False
        self._signals = 0

    @workflow.run
    async def run(self, traits: Traits) -> int:
        if traits.patch:
            workflow.patched(PATCH)
        for number in range(STEPS):
            local = traits.local_ends and number in (0, STEPS - 1)
            summary = f"step {number} of an order of someone" if traits.summaries else None
            if local:
                await workflow.execute_local_activity(
                    trait_step, number, start_to_close_timeout=timedelta(seconds=10)
                )
            else:
                queue = traits.queue
                if traits.provider_queues and 0 < number < STEPS - 1:
                    queue = f"{traits.queue}-{'payment' if number != 2 else 'carrier'}"
                await workflow.execute_activity(
                    trait_step,
                    number,
                    task_queue=queue,
                    start_to_close_timeout=timedelta(seconds=10),
                    summary=summary,
                )
            self._first_done = True
            if number in (2, 4)[: traits.upserts]:
                workflow.upsert_search_attributes([ORDER_STATUS.value_set(f"step-{number}")])
        await workflow.wait_condition(lambda: self._signals >= traits.signals)
        return STEPS

    @workflow.update
    async def accepted(self) -> bool:
        await workflow.wait_condition(lambda: self._first_done)
        return True

    @workflow.signal
    def news(self, _: str) -> None:
        self._signals += 1


TRAITS = {
    "bare": Traits(),
    "+ 7 KB of input": Traits(padding=7000),
    "+ two status upserts": Traits(upserts=2),
    "+ a patch marker": Traits(patch=True),
    "+ two signals": Traits(signals=2),
    "+ steps on provider queues": Traits(provider_queues=True),
    "+ priority and fairness key": Traits(fairness=True),
    "+ a summary per step": Traits(summaries=True),
    "+ first and last step local": Traits(local_ends=True),
    "+ workers of a deployment version": Traits(workers="-dv"),
    "+ workers of a build id": Traits(workers="-b"),
    "+ no eager activities": Traits(workers="-ne"),
    "all of them (an order's shape)": Traits(
        padding=7000,
        upserts=2,
        patch=True,
        signals=2,
        provider_queues=True,
        fairness=True,
        summaries=True,
        local_ends=True,
    ),
}
# The order's shape with its saga version read from the worker's deployment version
# rather than recorded by a patch marker.
TRAITS["all, the version from the deployment"] = replace(
    TRAITS["all of them (an order's shape)"], patch=False, workers="-dv"
)
TRAITS["all, the version from the build id"] = replace(
    TRAITS["all of them (an order's shape)"], patch=False, workers="-b"
)


async def one_workflow(client: Client, workflow_id: str, traits: Traits) -> None:
    """Started as an order is: update-with-start, answered after the first step."""
    start = WithStartWorkflowOperation(
        TraitsWorkflow.run,
        replace(traits, padding_text="x" * traits.padding),
        id=workflow_id,
        task_queue=traits.queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        priority=(
            Priority(priority_key=3, fairness_key=f"customer-{hash(workflow_id) % 97}")
            if traits.fairness
            else Priority.default
        ),
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(ORDER_STATUS, "pending"),
                SearchAttributePair(CUSTOMER_ID, workflow_id),
                SearchAttributePair(CUSTOMER_TIER, "standard"),
            ]
        )
        if traits.upserts
        else None,
    )
    await client.execute_update_with_start_workflow(
        TraitsWorkflow.accepted, start_workflow_operation=start
    )
    handle = await start.workflow_handle()
    for number in range(traits.signals):
        await handle.signal(TraitsWorkflow.news, f"news {number}")
    await handle.result()


async def measure(client: Client, temporal: ProcessGroup, args: argparse.Namespace) -> None:
    queue = f"traits-{uuid.uuid4().hex[:6]}"
    versioned = WorkerDeploymentConfig(
        version=WorkerDeploymentVersion("traits", "traits-1"), use_worker_versioning=False
    )
    workers = [
        Worker(
            client,
            task_queue=f"{first}{name}",
            workflows=[TraitsWorkflow] if not name else [],
            activities=[trait_step],
            # The traits are what is compared; run as __main__, this module would
            # bring the stack's process tools into every sandboxed instance.
            workflow_runner=UnsandboxedWorkflowRunner(),
            deployment_config=versioned if first.endswith("-dv") else None,
            build_id="traits-1" if first.endswith("-b") else None,
            disable_eager_activity_execution=first.endswith("-ne"),
        )
        for first in (queue, f"{queue}-dv", f"{queue}-b", f"{queue}-ne")
        for name in ("", "-payment", "-carrier")
    ]
    for worker in workers:
        await worker.__aenter__()
    chosen = {name: TRAITS[name] for name in args.traits or TRAITS}
    figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name in chosen}
    try:
        # Round by round, each trait in turn: the server's store grows as it runs, and
        # the machine drifts, so a trait is compared with its neighbours in each round.
        for _ in range(args.rounds):
            for name, traits in chosen.items():
                figures[name].append(await run_trait(client, temporal, queue, traits, args))
        print(f"{'workflow':<40}{'Temporal ms':>12}  {'rounds':<32}{'events':>8}{'WFTs':>6}")
        for name in chosen:
            ms = [cpu for cpu, _, _ in figures[name]]
            _, events, tasks = figures[name][-1]
            rounds = " ".join(f"{cpu:.1f}" for cpu in ms)
            print(
                f"{name:<40}{statistics.median(ms):>12.1f}  {rounds:<32}{events:>8.1f}{tasks:>6.1f}"
            )
    finally:
        for worker in reversed(workers):
            await worker.__aexit__(None, None, None)


async def run_trait(
    client: Client, temporal: ProcessGroup, queue: str, traits: Traits, args: argparse.Namespace
) -> tuple[float, float, float]:
    """The server's CPU ms, history events and workflow tasks per workflow."""
    traits = replace(traits, queue=f"{queue}{traits.workers}")
    ids = [f"{queue}-{uuid.uuid4().hex[:12]}" for _ in range(args.workflows)]
    gate = asyncio.Semaphore(args.clients)

    async def gated(workflow_id: str) -> None:
        async with gate:
            await one_workflow(client, workflow_id, traits)

    server = temporal.cpu()
    await asyncio.gather(*(gated(i) for i in ids))
    server = temporal.cpu() - server
    shapes = await history_shapes(client, ids)
    events = sum(s.events for s in shapes) / len(shapes)
    tasks = sum(s.workflow_tasks for s in shapes) / len(shapes)
    return 1000 * server / args.workflows, events, tasks


async def main(args: argparse.Namespace) -> None:
    await on_a_dev_server(
        "orders-traits-", lambda client, temporal: measure(client, temporal, args)
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.server_traits", description=__doc__)
    parser.add_argument("--workflows", type=int, default=300, help="per trait and round")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("traits", nargs="*", help=f"of: {', '.join(TRAITS)} (default all)")
    parser.add_argument("--clients", type=int, default=50)
    asyncio.run(main(parser.parse_args()))
