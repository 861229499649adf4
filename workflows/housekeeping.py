"""Housekeeping workflows, started by Temporal Schedules the worker registers."""

from __future__ import annotations

from temporalio import workflow

from domain.commands import KeysPurged, PurgeExpiredKeys
from workflows import steps

# Activities are only named here, never run in the sandbox: the worker's copy is used.
with workflow.unsafe.imports_passed_through():
    from activities.housekeeping import HousekeepingActivities


@workflow.defn
class PurgeIdempotencyKeysWorkflow:
    """Deletes the idempotency keys whose retention window has passed."""

    @workflow.run
    async def run(self, request: PurgeExpiredKeys) -> KeysPurged:
        purge = HousekeepingActivities.purge_expired_idempotency_keys
        return await workflow.execute_activity_method(
            purge, request, **steps.options(steps.step_of(purge), None, None)
        )
