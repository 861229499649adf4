"""The worker's workflow sandbox, with one cost of the SDK's taken out.

Before it encodes or decodes a payload of a workflow task, the SDK asks the workflow
instance for the payload's serialization context (which workflow, which activity),
once per payload and per pass: three passes over an activation, one over its
completion. In the sandbox each of those questions is a string of code compiled and
run under the sandbox's import hooks, about 0.1 ms apiece and some 70 per order, for
a plain read of the instance's own state: its info and its pending commands. Here the
question goes straight to the instance inside the sandbox. Nothing of the workflow's
own code runs in it, so nothing the sandbox guards against (a clock, randomness, I/O,
an import) can happen there; the workflow's activations still run under the hooks.

`tests/unit/test_workflow_sandbox.py` holds the answers to the SDK's own, over whole
histories, so an SDK that changes what it asks fails there first.
"""

from __future__ import annotations

from typing import Any

from temporalio.converter import SerializationContext, StorageDriverStoreContext
from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker._command_aware_visitor import CommandInfo
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox._runner import _Instance


class WorkflowSandbox(SandboxedWorkflowRunner):
    """The SDK's sandbox; only the serialization context is asked directly."""

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _DirectContextInstance(det, self.runner_class, self.restrictions)


class _DirectContextInstance(_Instance):
    def _in_sandbox(self) -> Any:
        return self.globals_and_locals["__temporal_in_sandbox"]

    def get_serialization_context(
        self, command_info: CommandInfo | None
    ) -> SerializationContext | None:
        context: SerializationContext | None = self._in_sandbox().get_serialization_context(
            command_info
        )
        return context

    def get_external_store_context(
        self, command_info: CommandInfo | None
    ) -> StorageDriverStoreContext:
        context: StorageDriverStoreContext = self._in_sandbox().get_external_store_context(
            command_info
        )
        return context
