"""The engine's own ceiling: a workflow shaped like an order, doing nothing.

Five no-op activities in a row, started by update-with-start whose update answers after
the first one, as POST /v1/orders answers after the reservation. Whatever this reaches
on a Temporal server is what the order service could reach on it with free steps.

    python -m benchmarks.bare_engine worker --address 127.0.0.1:7233 --task-queue bare
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

STEPS = 5


@activity.defn
async def bare_step(number: int) -> int:
    return number


@workflow.defn
class BareOrderWorkflow:
    def __init__(self) -> None:
        self._first_done = False

    @workflow.run
    async def run(self) -> int:
        for number in range(STEPS):
            await workflow.execute_activity(
                bare_step, number, start_to_close_timeout=timedelta(seconds=10)
            )
            self._first_done = True
        return STEPS

    @workflow.update
    async def accepted(self) -> bool:
        await workflow.wait_condition(lambda: self._first_done)
        return True


async def serve(address: str, task_queue: str) -> None:
    client = await Client.connect(address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Worker(
        client, task_queue=task_queue, workflows=[BareOrderWorkflow], activities=[bare_step]
    ):
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("role", choices=["worker"])
    parser.add_argument("--address", required=True)
    parser.add_argument("--task-queue", default="bare-engine")
    args = parser.parse_args()
    asyncio.run(serve(args.address, args.task_queue))


if __name__ == "__main__":
    main()
