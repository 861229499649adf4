"""What the workflow sandbox costs per order: a stored happy-path history replayed many
times on the worker's runner (`worker.SANDBOX`), beside the same replays on the SDK's
sandbox as it comes (which asks each payload's serialization context through the
sandbox's hooks and reads the workflow's modules from disk for every instance) and
without a sandbox. Each replay is a fresh workflow instance, as a
new order or a cache miss is: the sandbox imports the workflow's modules for it, then
the saga's code runs through the whole history. No server needed.

    python -m benchmarks.sandbox_cost --replays 200
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from infra.settings import Settings
from infra.temporal_client import data_converter
from worker import SANDBOX, compile_workflow_modules
from workflows.order import OrderWorkflow

HISTORY = Path(__file__).resolve().parents[1] / "tests/workflows/histories/happy_path_v6.json"


async def replay(runner: WorkflowRunner, replays: int) -> tuple[float, float]:
    """Wall and CPU milliseconds per replay of the happy-path history."""
    history = WorkflowHistory.from_json("order-sandbox-cost", HISTORY.read_text())
    replayer = Replayer(
        workflows=[OrderWorkflow],
        workflow_runner=runner,
        data_converter=data_converter(Settings()),
    )

    async def histories() -> AsyncIterator[WorkflowHistory]:
        for number in range(replays):
            yield WorkflowHistory(f"order-sandbox-cost-{number}", history.events)

    wall, cpu = time.perf_counter(), time.process_time()
    results = await replayer.replay_workflows(histories(), raise_on_replay_failure=True)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert len(results.replay_failures) == 0
    return 1000 * wall / replays, 1000 * cpu / replays


async def main(replays: int, rounds: int) -> None:
    compile_workflow_modules()  # as the worker does at start
    # The SDK's first: the worker's sandbox serves the workflow's code compiled once
    # from then on, to every sandbox in the process.
    runners: tuple[tuple[str, WorkflowRunner], ...] = (
        ("SDK's", SandboxedWorkflowRunner(restrictions=SANDBOX.restrictions)),
        ("sandbox", SANDBOX),
        ("no sandbox", UnsandboxedWorkflowRunner()),
    )
    for runner_name, runner in runners:
        await replay(runner, 5)  # warm up: first imports, the runner's own validation
        figures = [await replay(runner, replays) for _ in range(rounds)]
        wall = statistics.median(wall for wall, _ in figures)
        cpu = statistics.median(cpu for _, cpu in figures)
        best = min(cpu for _, cpu in figures)
        print(
            f"{runner_name:>10}: {wall:6.2f} ms wall, {cpu:6.2f} ms CPU per replay "
            f"(median of {rounds} rounds; fastest round {best:.2f} ms CPU)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replays", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.replays, arguments.rounds))
