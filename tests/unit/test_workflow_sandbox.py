"""The worker's sandbox asks a workflow for its payloads' serialization context
directly (infra/workflow_sandbox.py). Over every stored history, each answer must be
the one the SDK's own path (code run under the sandbox's hooks) gives."""

from __future__ import annotations

import os
from importlib.machinery import SourceFileLoader
from pathlib import Path
from types import ModuleType

import pytest
from temporalio.client import WorkflowHistory
from temporalio.converter import (
    ActivitySerializationContext,
    SerializationContext,
    StorageDriverStoreContext,
    WorkflowSerializationContext,
)
from temporalio.worker import Replayer, WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker._command_aware_visitor import CommandInfo
from temporalio.worker.workflow_sandbox import SandboxRestrictions
from temporalio.worker.workflow_sandbox._runner import _Instance

from infra.settings import Settings
from infra.temporal_client import data_converter
from infra.workflow_sandbox import WorkflowSandbox, _DirectContextInstance
from worker import PURE_MODULES, SANDBOX
from workflows.claims import ClaimWorkflow
from workflows.order import OrderWorkflow
from workflows.refund import RefundWorkflow
from workflows.returns import ReturnWorkflow

HISTORIES = Path(__file__).parents[1] / "workflows" / "histories"

answers: list[tuple[SerializationContext | None, SerializationContext | None]] = []
store_answers: list[tuple[StorageDriverStoreContext, StorageDriverStoreContext]] = []


class _BothWays(_DirectContextInstance):
    """Answers as the worker's sandbox does, and records the SDK's answer beside it."""

    def get_serialization_context(
        self, command_info: CommandInfo | None
    ) -> SerializationContext | None:
        direct = super().get_serialization_context(command_info)
        answers.append((direct, _Instance.get_serialization_context(self, command_info)))
        return direct

    def get_external_store_context(
        self, command_info: CommandInfo | None
    ) -> StorageDriverStoreContext:
        direct = super().get_external_store_context(command_info)
        store_answers.append((direct, _Instance.get_external_store_context(self, command_info)))
        return direct


class _ComparingSandbox(WorkflowSandbox):
    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _BothWays(det, self.runner_class, self.restrictions)


async def test_every_context_asked_directly_is_the_one_the_sdk_gives() -> None:
    answers.clear()
    store_answers.clear()
    replayer = Replayer(
        workflows=[OrderWorkflow, RefundWorkflow, ReturnWorkflow, ClaimWorkflow],
        workflow_runner=_ComparingSandbox(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(*PURE_MODULES)
        ),
        data_converter=data_converter(Settings()),
    )
    for path in sorted(HISTORIES.glob("*.json")):
        result = await replayer.replay_workflow(
            WorkflowHistory.from_json(path.stem, path.read_text())
        )
        assert result.replay_failure is None, path.stem

    assert answers and store_answers
    assert all(direct == sdk for direct, sdk in answers)
    assert all(direct == sdk for direct, sdk in store_answers)
    # Both kinds were asked: the workflow's own payloads and its activities'.
    kinds = {type(direct) for direct, _ in answers}
    assert {WorkflowSerializationContext, ActivitySerializationContext} <= kinds


async def test_the_workflow_modules_are_read_from_disk_once_and_run_for_every_instance(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sandbox imports the workflow's modules for every instance; their files are
    read once, and each instance still runs them (a replay of a fresh instance passes)."""
    history = WorkflowHistory.from_json("fresh", (HISTORIES / "happy_path_v8.json").read_text())
    replayer = Replayer(
        workflows=[OrderWorkflow],
        workflow_runner=SANDBOX,
        data_converter=data_converter(Settings()),
    )
    assert (await replayer.replay_workflow(history)).replay_failure is None

    reads: list[str] = []
    executed: list[str] = []
    read_file = SourceFileLoader.get_data
    run_module = SourceFileLoader.exec_module

    def counting_read(loader: SourceFileLoader, path: str) -> bytes:
        reads.append(path)
        return read_file(loader, path)

    def counting_run(loader: SourceFileLoader, module: ModuleType) -> None:
        executed.append(module.__name__)
        run_module(loader, module)

    monkeypatch.setattr(SourceFileLoader, "get_data", counting_read)
    monkeypatch.setattr(SourceFileLoader, "exec_module", counting_run)
    again = await replayer.replay_workflow(history)

    assert again.replay_failure is None
    assert "workflows.order.workflow" in executed
    assert [path for path in reads if f"{os.sep}workflows{os.sep}" in path] == []
