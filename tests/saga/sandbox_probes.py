"""Workflows that do what workflow code must not, for test_sandbox.py: read the clock
or draw a random number, directly or through the saga's own modules, and tell which
modules the sandbox shares with the worker.

A module of its own, as a workflow's module is imported again inside the sandbox.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import datetime

from temporalio import workflow

# Workflow code, imported here as a worker imports it: inside the sandbox.
import workflows.housekeeping
import workflows.order.saga
import workflows.order.tracking


@workflow.defn
class BreaksTheRules:
    @workflow.run
    async def run(self, how: str) -> str:
        if how == "datetime.now()":
            return datetime.now().isoformat()
        if how == "time.time()":
            return str(time.time())
        if how == "random.random()":
            return str(random.random())
        # The clock as the saga's own modules hold it: the worker's real one if those
        # modules were shared with it, the sandbox's guarded one if not.
        if how == "workflows.order.saga's datetime.now()":
            return workflows.order.saga.datetime.now().isoformat()
        if how == "workflows.order.tracking's datetime.now()":
            return workflows.order.tracking.datetime.now().isoformat()
        raise ValueError(how)


@workflow.defn
class SharedModules:
    @workflow.run
    async def run(self, worker_modules: dict[str, int]) -> list[str]:
        """Which of these modules (by name, with the id of the worker's copy) the
        sandbox shares with the worker instead of importing its own."""
        assert workflows.housekeeping.PurgeIdempotencyKeysWorkflow
        return sorted(
            name
            for name, worker_copy in worker_modules.items()
            if id(sys.modules.get(name)) == worker_copy
        )
