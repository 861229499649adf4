"""Timeouts and retry policy of every activity, in one table.

Temporal retries with exponential backoff and jitter. A step's retries stop at
its schedule-to-close bound; business refusals (the non-retryable error types
below) stop them at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.common import RetryPolicy
from temporalio.workflow import ActivityCancellationType

from workflows.contracts import SagaPolicy

NON_RETRYABLE = [
    "PaymentDeclined",
    "DestinationUnsupported",
    "ProviderRejected",
    "OrderNotFound",
    "IllegalTransition",
    "InvalidStockLevel",
]


@dataclass(frozen=True)
class StepPolicy:
    start_to_close: timedelta
    initial_interval: timedelta = timedelta(seconds=1)
    maximum_interval: timedelta = timedelta(seconds=30)
    maximum_attempts: int = 0  # 0: until the schedule-to-close bound


def _bound(policy: SagaPolicy, activity: str) -> timedelta:
    seconds = {
        "authorize_payment": policy.payment_bound_seconds,
        "create_shipment": policy.shipping_bound_seconds,
        "capture_payment": policy.capture_bound_seconds,
        "void_payment": policy.compensation_bound_seconds,
        "cancel_shipment": policy.compensation_bound_seconds,
        "release_stock": policy.compensation_bound_seconds,
        "send_notification": 300.0,
    }.get(activity, 600.0)
    return timedelta(seconds=seconds)


STEPS: dict[str, StepPolicy] = {
    "reserve_stock": StepPolicy(timedelta(seconds=10)),
    "request_review": StepPolicy(timedelta(seconds=10)),
    "record_review": StepPolicy(timedelta(seconds=10)),
    "authorize_payment": StepPolicy(timedelta(seconds=15)),
    "create_shipment": StepPolicy(timedelta(seconds=15)),
    "capture_payment": StepPolicy(timedelta(seconds=15)),
    "record_carrier_event": StepPolicy(timedelta(seconds=10)),
    "void_payment": StepPolicy(timedelta(seconds=15), maximum_interval=timedelta(minutes=5)),
    "cancel_shipment": StepPolicy(timedelta(seconds=15), maximum_interval=timedelta(minutes=5)),
    "release_stock": StepPolicy(timedelta(seconds=10), maximum_interval=timedelta(minutes=5)),
    "close_order": StepPolicy(timedelta(seconds=10)),
    "send_notification": StepPolicy(timedelta(seconds=10), maximum_attempts=5),
}


def options(activity: str, policy: SagaPolicy) -> dict[str, Any]:
    """Keyword arguments for `workflow.execute_activity` of this activity."""
    step = STEPS[activity]
    return {
        "start_to_close_timeout": step.start_to_close,
        "schedule_to_close_timeout": _bound(policy, activity),
        "retry_policy": RetryPolicy(
            initial_interval=step.initial_interval,
            backoff_coefficient=2.0,
            maximum_interval=step.maximum_interval,
            maximum_attempts=step.maximum_attempts,
            non_retryable_error_types=NON_RETRYABLE,
        ),
        # A step in flight finishes before its compensation starts, so the undo
        # always sees what the step did.
        "cancellation_type": ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    }
