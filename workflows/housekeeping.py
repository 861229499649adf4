"""Housekeeping workflows, started by Temporal Schedules the worker registers."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.commands import KeysPurged, PurgeExpiredKeys


@workflow.defn
class PurgeIdempotencyKeysWorkflow:
    """Deletes the idempotency keys whose retention window has passed."""

    @workflow.run
    async def run(self, request: PurgeExpiredKeys) -> KeysPurged:
        result: KeysPurged = await workflow.execute_activity(
            "purge_expired_idempotency_keys",
            request,
            result_type=KeysPurged,
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=RetryPolicy(maximum_attempts=5),
        )
        return result
