"""Counts retried attempts of every step, so a step that keeps failing is seen.

Database steps retry without an overall bound (the database coming back is all they
need); this counter, and the `StepRetrying` alert on it, is what tells a person that
one is going round.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter
from temporalio import activity
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

STEP_RETRIES = Counter(
    "orders_step_retries_total",
    "Attempts of a step after its first, by step: a steady rise means a step that "
    "keeps failing (see the StepRetrying runbook).",
    ["step"],
)


class CountRetries(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Counting(next)


class _Counting(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        if info.attempt > 1:
            STEP_RETRIES.labels(info.activity_type).inc()
        return await self.next.execute_activity(input)
