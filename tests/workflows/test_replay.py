"""Replay: the current workflow code (orders, refunds, returns, claims) must reproduce stored
histories exactly.

A change that running orders depend on must be guarded by `workflow.patched`; without
the guard, replaying these histories fails here. Record a new history after such a
change with `python -m tests.workflows.record_history NAME` and keep the old ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from infra.settings import Settings
from infra.temporal_client import data_converter
from tests.workflows.conftest import Saga
from worker import SANDBOX
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
    # A new order records the saga's version once, not a marker per change.
    markers = [
        event.marker_recorded_event_attributes.marker_name
        for event in history.events
        if event.HasField("marker_recorded_event_attributes")
    ]
    assert markers.count("core_patch") == 1
