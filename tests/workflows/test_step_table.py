"""The step table is the one truth about activities: everything the workflows call is
in it, and the worker serves every row on the queue the workflow sends it to."""

from __future__ import annotations

import ast
import inspect

from temporalio import activity
from temporalio.client import Client

from infra.bootstrap import Bootstrap
from infra.settings import Settings
from worker import activity_objects, build_workers, deployment
from workflows import claims, housekeeping, refund, returns
from workflows.order import compensation, edits, forward, saga, tracking, workflow
from workflows.steps import BY_NAME, STEPS, Queue, served_by_queue


def called_steps(module: object) -> set[str]:
    """Every `SomeActivities.method` a workflow module passes to an activity call."""
    tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id.endswith("Activities"):
                names.add(node.attr)
    return names


def test_every_activity_the_workflows_call_has_a_row_and_every_row_is_called() -> None:
    stories = (
        saga,
        forward,
        compensation,
        tracking,
        edits,
        workflow,
        housekeeping,
        refund,
        returns,
        claims,
    )
    called = set().union(*(called_steps(story) for story in stories))

    assert called == set(BY_NAME)


def test_every_row_names_its_activity_as_temporal_will() -> None:
    for step in STEPS:
        definition = activity._Definition.must_from_callable(step.handler)
        assert definition.name == step.name


async def test_the_worker_serves_every_step_on_the_queue_of_its_row(
    client: Client, settings: Settings
) -> None:
    settings = settings.model_copy(
        update={
            name: f"step-table-{name}"
            for name in (
                "task_queue",
                "payment_task_queue",
                "carrier_task_queue",
                "email_task_queue",
            )
        }
    )
    queue_names = {Queue.ORDERS: settings.task_queue} | {
        Queue(provider): name for provider, name in settings.provider_task_queues.items()
    }
    async with Bootstrap(settings) as boot:
        workers = build_workers(
            client, settings, served_by_queue(activity_objects(boot)), deployment()
        )

    served = {
        worker.config()["task_queue"]: {
            activity._Definition.must_from_callable(handler).name
            for handler in worker.config()["activities"]
        }
        for worker in workers
    }
    expected = {
        queue_names[queue]: {step.name for step in STEPS if step.queue is queue} for queue in Queue
    }
    assert served == expected
