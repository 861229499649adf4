"""The worker's sandbox asks a workflow for its payloads' serialization context
directly (infra/workflow_sandbox.py). Over every stored history, each answer must be
the one the SDK's own path (code run under the sandbox's hooks) gives. And it checks
a workflow class of a shape it has seen by building its definition from the class's
own handlers: each definition so built must be the one the SDK's check builds."""

from __future__ import annotations

import dataclasses
import os
import sys
import textwrap
from importlib.machinery import SourceFileLoader
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.common import _type_hints_from_func
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
from temporalio.workflow import _Definition

from infra.settings import Settings
from infra.temporal_client import data_converter
from infra.workflow_sandbox import WorkflowSandbox, _CheckedOnce, _DirectContextInstance
from worker import PURE_MODULES, SANDBOX
from workflows.claims import ClaimWorkflow
from workflows.housekeeping import PurgeIdempotencyKeysWorkflow
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


def _count_sdk_checks(monkeypatch: pytest.MonkeyPatch) -> list[type]:
    """The classes the SDK's own check runs on from now on, in this test."""
    sdk_check = _CheckedOnce.sdk_check
    assert sdk_check is not None
    checks: list[type] = []

    def counted(klass: type, **options: Any) -> None:
        checks.append(klass)
        sdk_check(klass, **options)

    monkeypatch.setattr(_CheckedOnce, "sdk_check", counted)
    return checks


def _sandbox_replayer() -> Replayer:
    """Replays order histories on the worker's own sandbox."""
    return Replayer(
        workflows=[OrderWorkflow],
        workflow_runner=SANDBOX,
        data_converter=data_converter(Settings()),
    )


async def test_the_workflow_modules_are_read_from_disk_once_and_run_for_every_instance(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sandbox imports the workflow's modules for every instance; their files are
    read once, and each instance still runs them (a replay of a fresh instance passes)."""
    history = WorkflowHistory.from_json("fresh", (HISTORIES / "happy_path_v8.json").read_text())
    replayer = _sandbox_replayer()
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


def _define(code: CodeType, module: str, name: str, **given: Any) -> type:
    """Runs a module's code afresh, as the sandbox does for each instance, and returns
    the workflow class it defines; `given`: globals the code finds already set."""
    namespace: dict[str, Any] = {"__name__": module, "__package__": module.rpartition(".")[0]}
    namespace.update(given)
    exec(code, namespace)
    defined: type = namespace[name]
    return defined


def _name(kind: object) -> str:
    return f"{getattr(kind, '__module__', '')}.{getattr(kind, '__qualname__', kind)}"


def _fields(handler: Any) -> dict[str, Any]:
    """A handler's definition with its functions told by their code."""
    return {
        field.name: getattr(value, "__code__", value)
        for field in dataclasses.fields(handler)
        for value in [getattr(handler, field.name)]
    }


@pytest.mark.parametrize(
    "workflow",
    [OrderWorkflow, RefundWorkflow, ReturnWorkflow, ClaimWorkflow, PurgeIdempotencyKeysWorkflow],
)
def test_a_class_of_a_checked_shape_gets_the_definition_the_sdk_would_give(
    workflow: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    _CheckedOnce.install()
    source = Path(sys.modules[workflow.__module__].__file__ or "")
    code = compile(source.read_text(), str(source), "exec")
    _define(code, workflow.__module__, workflow.__name__)  # checked by the SDK, or seen
    sdk_check = _CheckedOnce.sdk_check
    assert sdk_check is not None
    checks = _count_sdk_checks(monkeypatch)
    bound = _define(code, workflow.__module__, workflow.__name__)
    assert checks == []  # built from its handlers, not checked again
    monkeypatch.setattr(_Definition, "_apply_to_class", staticmethod(sdk_check))
    checked = _define(code, workflow.__module__, workflow.__name__)

    ours, sdks = _Definition.must_from_class(bound), _Definition.must_from_class(checked)
    assert ours.cls is bound and sdks.cls is checked
    assert getattr(ours.run_fn, "__temporal_workflow_definition") is ours
    assert ours.run_fn is getattr(bound, ours.run_fn.__name__)
    plain = ("name", "sandboxed", "failure_exception_types", "versioning_behavior")
    assert [getattr(ours, f) for f in plain] == [getattr(sdks, f) for f in plain]
    # The run method's hints are read anew: a type the module defines is its own.
    assert (ours.arg_types, ours.ret_type) == _type_hints_from_func(ours.run_fn)
    assert [_name(t) for t in [*(ours.arg_types or []), ours.ret_type]] == [
        _name(t) for t in [*(sdks.arg_types or []), sdks.ret_type]
    ]
    assert ours.run_fn.__code__ is sdks.run_fn.__code__
    for kind in ("signals", "queries", "updates"):
        mine, theirs = getattr(ours, kind), getattr(sdks, kind)
        assert {k: _fields(h) for k, h in mine.items()} == {
            k: _fields(h) for k, h in theirs.items()
        }
        # Each handler is the new class's own function, not the one it was shaped on.
        assert all(getattr(bound, h.fn.__name__) is h.fn for h in mine.values())


def _module(body: str, decorator: str = "@workflow.defn") -> CodeType:
    """A module of one workflow class, `Drifting`, with this body."""
    source = f"from temporalio import workflow\n\n{decorator}\nclass Drifting:\n"
    return compile(source + textwrap.indent(textwrap.dedent(body), "    "), "drift", "exec")


ONE_RUN = """
    @workflow.run
    async def run(self) -> None:
        return None
"""


def test_a_class_of_another_shape_under_a_checked_name_is_checked_in_full() -> None:
    _CheckedOnce.install()
    _define(_module(ONE_RUN), "tests.drift", "Drifting")
    _define(_module(ONE_RUN), "tests.drift", "Drifting")
    two_runs = ONE_RUN + ONE_RUN.replace("def run", "def run_again")

    with pytest.raises(ValueError, match=r"Multiple @workflow\.run methods"):
        _define(_module(two_runs), "tests.drift", "Drifting")


def test_the_exceptions_that_fail_a_workflow_are_its_own_instances_not_the_checked_ones() -> None:
    _CheckedOnce.install()
    code = _module(
        ONE_RUN,
        decorator="class Refused(Exception):\n    pass\n\n"
        "@workflow.defn(failure_exception_types=[Refused])",
    )
    first = _define(code, "tests.refusing", "Drifting")
    second = _define(code, "tests.refusing", "Drifting")  # built from its handlers

    refused = vars(second)["run"].__globals__["Refused"]
    assert refused is not vars(first)["run"].__globals__["Refused"]
    assert list(_Definition.must_from_class(second).failure_exception_types) == [refused]


def test_a_handler_named_as_the_module_runs_is_checked_again_when_its_name_changes() -> None:
    _CheckedOnce.install()
    code = _module(
        ONE_RUN
        + """
    @workflow.signal(name=SIGNAL)
    def nudge(self) -> None:
        return None
"""
    )
    _define(code, "tests.naming", "Drifting", SIGNAL="one")
    renamed = _define(code, "tests.naming", "Drifting", SIGNAL="two")

    assert list(_Definition.must_from_class(renamed).signals) == ["two"]


def test_a_class_decorated_twice_is_still_refused() -> None:
    _CheckedOnce.install()
    code = _module(ONE_RUN)
    _define(code, "tests.twice", "Drifting")
    again = _define(code, "tests.twice", "Drifting")  # built from its handlers

    with pytest.raises(ValueError, match="already contains"):
        workflow.defn(again)


async def test_a_new_instance_in_the_worker_sandbox_runs_no_second_check_of_its_class(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    history = WorkflowHistory.from_json("fresh", (HISTORIES / "happy_path_v10.json").read_text())
    replayer = _sandbox_replayer()
    assert (await replayer.replay_workflow(history)).replay_failure is None
    checks = _count_sdk_checks(monkeypatch)
    assert (await replayer.replay_workflow(history)).replay_failure is None

    assert checks == []
