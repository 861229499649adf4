"""The step table is the one truth about activities: everything the workflows call is
in it, and the worker serves every row on the queue the workflow sends it to."""

from __future__ import annotations

import ast
import inspect
import uuid

import pytest
from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from infra.bootstrap import Bootstrap
from infra.settings import Settings
from worker import activity_objects, build_workers, deployment, provider_throttle
from workflows import claims, housekeeping, refund, returns
from workflows.order import compensation, edits, forward, saga, tracking, workflow
from workflows.steps import BY_NAME, ORDER_STEPS, STEPS, Queue, resolve_steps, served_by_queue


def called_steps(module: object) -> set[str]:
    """Every `SomeActivities.method` a workflow module passes to an activity call."""
    tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id.endswith("Activities"):
                names.add(node.attr)
    return names


def test_an_order_carries_the_policies_of_exactly_the_steps_its_workflow_runs() -> None:
    stories = (saga, forward, compensation, tracking, edits, workflow)
    run_by_the_order = set().union(*(called_steps(story) for story in stories))

    assert {handler.__name__ for handler in ORDER_STEPS} == run_by_the_order
    assert set(resolve_steps({})) == run_by_the_order


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


def served_by_workers(workers: list[Worker]) -> dict[str, set[str]]:
    return {
        worker.config()["task_queue"]: {
            activity._Definition.must_from_callable(handler).name
            for handler in worker.config()["activities"]
        }
        for worker in workers
    }


async def workers_for(client: Client, settings: Settings) -> list[Worker]:
    async with Bootstrap(settings) as boot:
        served = served_by_queue(activity_objects(boot))
        return build_workers(client, settings, served, deployment(), provider_throttle(boot))


async def test_each_provider_on_a_queue_of_its_own_is_served_there_under_the_server_s_cap(
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

    workers = await workers_for(client, settings)

    assert served_by_workers(workers) == {
        queue_names[queue]: {step.name for step in STEPS if step.queue is queue} for queue in Queue
    }
    caps = {
        w.config()["task_queue"]: w.config()["max_task_queue_activities_per_second"]
        for w in workers
    }
    assert caps == {settings.task_queue: None} | {
        queue_names[Queue(provider)]: limit
        for provider, limit in settings.provider_rate_limits.items()
    }


@pytest.mark.parametrize(
    "kinds",
    [["orders", "payment", "carrier", "email"], ["orders"], ["payment", "carrier", "email"]],
)
async def test_providers_without_queues_of_their_own_are_served_on_the_workflows_queue(
    client: Client, settings: Settings, kinds: list[str]
) -> None:
    """The default: whichever kinds a process takes, it polls the workflows' queue and
    serves every step there, since the server hands a provider call to the worker that
    scheduled it; no cap on that queue, which would turn that hand-over off."""
    settings = settings.model_copy(
        update={"task_queue": f"step-table-{uuid.uuid4().hex[:8]}", "worker_queues": kinds}
    )

    workers = await workers_for(client, settings)

    assert served_by_workers(workers) == {settings.task_queue: set(BY_NAME)}
    (worker,) = workers
    assert worker.config()["max_task_queue_activities_per_second"] is None
    assert bool(worker.config().get("workflows")) == ("orders" in kinds)
