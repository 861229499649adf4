"""Timeouts, retry policy and task queue of every activity, in one table.

Temporal retries with exponential backoff and jitter. A step's retries stop at its
schedule-to-close bound; business refusals (the non-retryable error types below)
stop them at once. Settings can override any row (`ORDERS_ACTIVITY_POLICIES`); the
resolved table travels in the workflow input, so an order keeps the policy it
started with.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from temporalio.common import RetryPolicy
from temporalio.workflow import ActivityCancellationType

from workflows.contracts import SagaPolicy, StepPolicy

NON_RETRYABLE = [
    "PaymentDeclined",
    "DestinationUnsupported",
    "ProviderRejected",
    "OrderNotFound",
    "IllegalTransition",
    "InvalidStockLevel",
]

# Activities that call a provider run on that provider's own task queue, where the
# workers cap the calls per second across all of them.
PROVIDERS = {
    "authorize_payment": "payment",
    "capture_payment": "payment",
    "void_payment": "payment",
    "create_shipment": "carrier",
    "cancel_shipment": "carrier",
    "track_shipment": "carrier",
    "send_notification": "email",
}

STEPS: dict[str, StepPolicy] = {
    "reserve_stock": StepPolicy(10),
    "request_review": StepPolicy(10),
    "record_review": StepPolicy(10),
    "authorize_payment": StepPolicy(15),
    "create_shipment": StepPolicy(15),
    "capture_payment": StepPolicy(15),
    "record_carrier_event": StepPolicy(10),
    "track_shipment": StepPolicy(15),
    "void_payment": StepPolicy(15, maximum_interval_seconds=300),
    "cancel_shipment": StepPolicy(15, maximum_interval_seconds=300),
    "release_stock": StepPolicy(10, maximum_interval_seconds=300),
    "close_order": StepPolicy(10),
    "send_notification": StepPolicy(10, maximum_attempts=5),
}


@dataclass(frozen=True)
class ResolvedStep:
    policy: StepPolicy
    schedule_to_close: timedelta


def resolve_steps(overrides: dict[str, dict[str, float]]) -> dict[str, StepPolicy]:
    """The table with settings' overrides applied; unknown names are refused."""
    unknown = set(overrides) - set(STEPS)
    if unknown:
        raise ValueError(f"no activity named {', '.join(sorted(unknown))}")
    return {
        name: replace(step, **overrides.get(name, {}))  # type: ignore[arg-type]
        for name, step in STEPS.items()
    }


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


def options(activity: str, policy: SagaPolicy, task_queue: str | None) -> dict[str, Any]:
    """Keyword arguments for `workflow.execute_activity` of this activity."""
    step = policy.steps.get(activity) or STEPS[activity]
    chosen: dict[str, Any] = {
        "start_to_close_timeout": timedelta(seconds=step.start_to_close_seconds),
        "schedule_to_close_timeout": _bound(policy, activity),
        "retry_policy": RetryPolicy(
            initial_interval=timedelta(seconds=step.initial_interval_seconds),
            backoff_coefficient=step.backoff_coefficient,
            maximum_interval=timedelta(seconds=step.maximum_interval_seconds),
            maximum_attempts=step.maximum_attempts,
            non_retryable_error_types=NON_RETRYABLE,
        ),
        # A step in flight finishes before its compensation starts, so the undo
        # always sees what the step did.
        "cancellation_type": ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    }
    if task_queue:
        chosen["task_queue"] = task_queue
    return chosen
