"""Replay: the current workflow code (orders, refunds, returns, claims) must reproduce stored
histories exactly.

A change that running orders depend on must be guarded by `workflow.patched`; without
the guard, replaying these histories fails here. Record a new history after such a
change with `python -m tests.workflows.record_history NAME` and keep the old ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from infra.settings import Settings
from infra.temporal_client import data_converter
from tests.workflows.conftest import Saga
from worker import SANDBOX, deployment
from workflows.claims import ClaimWorkflow
from workflows.order import OrderWorkflow
from workflows.refund import RefundWorkflow
from workflows.returns import ReturnWorkflow

HISTORIES = Path(__file__).with_name("histories")


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("*.json")), ids=lambda p: p.stem)
async def test_stored_histories_replay_without_nondeterminism(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())

    # v1-v3 predate the payload codec and replay through it unchanged; v4 is encrypted
    # with the development key. All replay on the runner the worker uses.
    replayer = Replayer(
        workflows=[OrderWorkflow, RefundWorkflow, ReturnWorkflow, ClaimWorkflow],
        workflow_runner=SANDBOX,
        data_converter=data_converter(Settings()),
    )
    result = await replayer.replay_workflow(history)

    assert result.replay_failure is None


async def test_a_fresh_happy_path_history_replays(saga: Saga) -> None:
    sku = await saga.product(on_hand=5)
    order = saga.order((sku, 1))
    await saga.place(order)
    await saga.outcome(order)

    history = await saga.handle(order).fetch_history()
    replayer = Replayer(
        workflows=[OrderWorkflow],
        workflow_runner=SANDBOX,
        data_converter=data_converter(saga.settings),
    )
    result = await replayer.replay_workflow(history)

    assert result.replay_failure is None
    assert len(history.events) < 120  # round trips per order stay few
    # A new order records no patch marker: its saga version is the one the worker
    # declared in its build id, which Temporal records with the workflow task.
    markers = [
        event.marker_recorded_event_attributes.marker_name
        for event in history.events
        if event.HasField("marker_recorded_event_attributes")
    ]
    assert "core_patch" not in markers
    first_task = next(
        event.workflow_task_completed_event_attributes
        for event in history.events
        if event.HasField("workflow_task_completed_event_attributes")
    )
    assert first_task.worker_version.build_id == deployment().version.build_id


async def test_an_order_of_a_newer_saga_is_left_to_a_worker_that_knows_it() -> None:
    """A worker that meets an order started by a newer saga than its own fails the
    workflow task (Temporal retries it, for a newer worker) instead of running it."""
    recorded = json.loads((HISTORIES / "happy_path_v9.json").read_text())
    for event in recorded["events"]:
        for attributes in event.values():
            if isinstance(attributes, dict) and "workerVersion" in attributes:
                attributes["workerVersion"]["buildId"] = "order-saga-99.0123456789ab"
    history = WorkflowHistory.from_json("newer-saga", json.dumps(recorded))
    replayer = Replayer(
        workflows=[OrderWorkflow],
        workflow_runner=SANDBOX,
        data_converter=data_converter(Settings()),
    )

    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)

    assert result.replay_failure is not None
    assert "saga 99" in str(result.replay_failure)
