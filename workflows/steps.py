"""Every activity the workflows schedule, in one table: the handler that does it, the
task queue it is served on, and its timeouts and retries.

The workflows call a step through its handler (`StockActivities.reserve_stock`), so a
rename is a type error; they take the queue and policy from here. The worker serves
each handler on the queue named here. Temporal retries with exponential backoff and
jitter until a step's schedule-to-close bound; business refusals (the domain errors
below) stop the retries at once. Database steps have no overall bound: they are
idempotent, and all they need is the database back (the `StepRetrying` alert tells
when one keeps going round). Provider steps heartbeat, so a cancel reaches a call in
flight and a worker that died is noticed within the heartbeat timeout.

Settings can override the policy of an order's step (`ORDERS_ACTIVITY_POLICIES`); the
resolved policies of the steps the order's workflow runs (`ORDER_STEPS`) travel in its
input, so an order keeps the ones it started with. The refund's, return's, claim's and
housekeeping's steps run with this table's policies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import Priority, RetryPolicy
from temporalio.workflow import ActivityCancellationType

from domain.errors import (
    DestinationUnsupported,
    IllegalTransition,
    InvalidStockLevel,
    OrderNotFound,
    PaymentDeclined,
    ProviderRejected,
    ShipmentDelivered,
)
from workflows.contracts import SagaPolicy, StepPolicy

# The row's shape lives apart, shared with the sandbox; the table's readers find it here.
from workflows.step_row import Handler as Handler
from workflows.step_row import Queue as Queue
from workflows.step_row import Step as Step

# Workflow code imports this table inside the sandbox; the activities are only named
# here (each step's handler), never run there: the worker's copy is used.
with workflow.unsafe.imports_passed_through():
    from activities.claims import ClaimActivities
    from activities.edits import OrderEditActivities
    from activities.exchanges import ExchangeActivities
    from activities.housekeeping import HousekeepingActivities
    from activities.notify import NotificationActivities
    from activities.order_status import OrderStatusActivities
    from activities.payment import PaymentActivities
    from activities.refunds import RefundActivities
    from activities.returns import ReturnActivities
    from activities.shipping import ShippingActivities
    from activities.stock import StockActivities

# Refusals that no retry can change: the activity raises them by these names.
NON_RETRYABLE = [
    error.__name__
    for error in (
        PaymentDeclined,
        DestinationUnsupported,
        ProviderRejected,
        OrderNotFound,
        IllegalTransition,
        InvalidStockLevel,
        ShipmentDelivered,
    )
]


# A provider step that has not heartbeaten for this long has lost its worker.
PROVIDER_HEARTBEAT_TIMEOUT = timedelta(seconds=10)
# Tracking polls yield to every other call waiting on their queue: a backlog of
# parcels in transit must not hold up new bookings (lower runs first; orders use 1-3).
TRACKING_PRIORITY = Priority(priority_key=5)


def _until_done(_: SagaPolicy) -> float | None:
    return None


def _compensation(policy: SagaPolicy) -> float:
    return policy.compensation_bound_seconds


# A database step: short attempts, backing off to five minutes between them. Past a
# minute each wait is a timer in the order's history, so a long outage costs about
# one history event a minute: weeks before Temporal's history limit.
_DATABASE = StepPolicy(10, maximum_interval_seconds=300)

STEPS: tuple[Step, ...] = (
    Step(StockActivities.reserve_stock, Queue.ORDERS, _DATABASE, _until_done),
    Step(OrderStatusActivities.request_review, Queue.ORDERS, _DATABASE, _until_done),
    Step(OrderStatusActivities.record_review, Queue.ORDERS, _DATABASE, _until_done),
    Step(
        PaymentActivities.authorize_payment,
        Queue.PAYMENT,
        StepPolicy(15),
        lambda policy: policy.payment_bound_seconds,
    ),
    Step(
        ShippingActivities.create_shipment,
        Queue.CARRIER,
        StepPolicy(15),
        lambda policy: policy.shipping_bound_seconds,
    ),
    Step(
        PaymentActivities.capture_payment,
        Queue.PAYMENT,
        StepPolicy(15),
        lambda policy: policy.capture_bound_seconds,
    ),
    Step(ShippingActivities.record_carrier_event, Queue.ORDERS, _DATABASE, _until_done),
    # An edit before fulfillment: hold what it adds, raise the authorization by its
    # difference, then apply it (or abandon it when the payment is declined).
    Step(OrderEditActivities.plan_edit, Queue.ORDERS, _DATABASE, _until_done),
    Step(
        PaymentActivities.increase_authorization,
        Queue.PAYMENT,
        StepPolicy(15),
        lambda policy: policy.payment_bound_seconds,
    ),
    Step(OrderEditActivities.apply_edit, Queue.ORDERS, _DATABASE, _until_done),
    Step(OrderEditActivities.abandon_edit, Queue.ORDERS, _DATABASE, _until_done),
    Step(ShippingActivities.track_shipment, Queue.CARRIER, StepPolicy(15)),
    Step(
        PaymentActivities.void_payment,
        Queue.PAYMENT,
        StepPolicy(15, maximum_interval_seconds=300),
        _compensation,
    ),
    Step(
        ShippingActivities.cancel_shipment,
        Queue.CARRIER,
        StepPolicy(15, maximum_interval_seconds=300),
        _compensation,
    ),
    Step(StockActivities.release_stock, Queue.ORDERS, _DATABASE, _until_done),
    # A refund (workflows/refund.py): its bound comes with the workflow's input.
    Step(
        RefundActivities.issue_refund, Queue.PAYMENT, StepPolicy(15, maximum_interval_seconds=300)
    ),
    Step(RefundActivities.record_refund_failure, Queue.ORDERS, _DATABASE, _until_done),
    # A return (workflows/returns.py): the carrier steps' bounds come with its input.
    Step(ReturnActivities.approve_return, Queue.ORDERS, _DATABASE, _until_done),
    Step(ReturnActivities.issue_return_label, Queue.CARRIER, StepPolicy(15)),
    Step(ReturnActivities.record_label_failure, Queue.ORDERS, _DATABASE, _until_done),
    Step(ReturnActivities.refresh_return, Queue.ORDERS, _DATABASE, _until_done),
    # A return's exchange (workflows/returns.py): provider bounds come with its input.
    Step(ExchangeActivities.hold_exchange, Queue.ORDERS, _DATABASE, _until_done),
    Step(ExchangeActivities.authorize_exchange, Queue.PAYMENT, StepPolicy(15)),
    Step(
        ExchangeActivities.release_exchange,
        Queue.PAYMENT,
        StepPolicy(15, maximum_interval_seconds=300),
    ),
    Step(ExchangeActivities.ship_exchange, Queue.CARRIER, StepPolicy(15)),
    Step(
        ExchangeActivities.capture_exchange,
        Queue.PAYMENT,
        StepPolicy(15, maximum_interval_seconds=300),
    ),
    Step(ExchangeActivities.close_return, Queue.ORDERS, _DATABASE, _until_done),
    # A claim's replacement (workflows/claims.py): its bound comes with its input.
    Step(ClaimActivities.ship_replacement, Queue.CARRIER, StepPolicy(15)),
    Step(ClaimActivities.release_replacement, Queue.ORDERS, _DATABASE, _until_done),
    Step(
        ReturnActivities.cancel_return_label,
        Queue.CARRIER,
        StepPolicy(15, maximum_interval_seconds=300),
    ),
    Step(OrderStatusActivities.flag_order, Queue.ORDERS, _DATABASE, _until_done),
    Step(OrderStatusActivities.close_order, Queue.ORDERS, _DATABASE, _until_done),
    # Orders started before the outbox relay still email from the saga.
    Step(
        NotificationActivities.send_notification,
        Queue.EMAIL,
        StepPolicy(10, maximum_attempts=5),
        lambda _: 300.0,
    ),
    Step(
        HousekeepingActivities.purge_expired_idempotency_keys,
        Queue.ORDERS,
        StepPolicy(60, maximum_attempts=5),
    ),
)

BY_NAME = {step.name: step for step in STEPS}
_BY_HANDLER = {step.handler: step for step in STEPS}

# The steps the order's own workflow runs (workflows/order/). Their resolved policies
# travel in each order's input (`SagaPolicy.steps`), so an order keeps the ones it
# started with; the other workflows' steps are not in it (they take the table's as
# they run), which keeps an order's input, stored and sent with its start, 2.7 KB
# smaller.
ORDER_STEPS: tuple[Handler, ...] = (
    StockActivities.reserve_stock,
    OrderStatusActivities.request_review,
    OrderStatusActivities.record_review,
    PaymentActivities.authorize_payment,
    ShippingActivities.create_shipment,
    PaymentActivities.capture_payment,
    ShippingActivities.record_carrier_event,
    OrderEditActivities.plan_edit,
    PaymentActivities.increase_authorization,
    OrderEditActivities.apply_edit,
    OrderEditActivities.abandon_edit,
    ShippingActivities.track_shipment,
    PaymentActivities.void_payment,
    ShippingActivities.cancel_shipment,
    StockActivities.release_stock,
    OrderStatusActivities.flag_order,
    OrderStatusActivities.close_order,
    NotificationActivities.send_notification,
)


def step_of(handler: Handler) -> Step:
    return _BY_HANDLER[handler]


def resolve_steps(overrides: dict[str, dict[str, float]]) -> dict[str, StepPolicy]:
    """The order's steps' policies with settings' overrides applied; names of no step
    are refused."""
    unknown = set(overrides) - set(BY_NAME)
    if unknown:
        raise ValueError(f"no activity named {', '.join(sorted(unknown))}")
    return {
        step.name: replace(step.policy, **overrides.get(step.name, {}))  # type: ignore[arg-type]
        for step in map(step_of, ORDER_STEPS)
    }


def options(
    step: Step, policy: SagaPolicy | None, task_queue: str | None, priority: Priority | None = None
) -> dict[str, Any]:
    """Keyword arguments for `workflow.execute_activity_method` of this step."""
    chosen = (policy.steps.get(step.name) if policy else None) or step.policy
    bound = step.bound(policy) if policy else chosen.start_to_close_seconds * 10
    options: dict[str, Any] = {
        "start_to_close_timeout": timedelta(seconds=chosen.start_to_close_seconds),
        "schedule_to_close_timeout": timedelta(seconds=bound) if bound is not None else None,
        "retry_policy": RetryPolicy(
            initial_interval=timedelta(seconds=chosen.initial_interval_seconds),
            backoff_coefficient=chosen.backoff_coefficient,
            maximum_interval=timedelta(seconds=chosen.maximum_interval_seconds),
            maximum_attempts=chosen.maximum_attempts,
            non_retryable_error_types=NON_RETRYABLE,
        ),
        # A step in flight finishes before its compensation starts, so the undo
        # always sees what the step did.
        "cancellation_type": ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    }
    if task_queue:
        options["task_queue"] = task_queue
    if step.queue is not Queue.ORDERS:
        options["heartbeat_timeout"] = PROVIDER_HEARTBEAT_TIMEOUT
    if priority is not None:
        options["priority"] = priority
    return options


def served_by_queue(activity_objects: Iterable[object]) -> dict[Queue, list[Handler]]:
    """Each step's handler bound to the object that implements it, grouped by queue:
    what the worker serves where."""
    objects = list(activity_objects)
    served: dict[Queue, list[Handler]] = {queue: [] for queue in Queue}
    for step in STEPS:
        owners = [o for o in objects if getattr(type(o), step.name, None) is step.handler]
        if len(owners) != 1:
            raise LookupError(f"{len(owners)} objects implement the step {step.name}")
        served[step.queue].append(getattr(owners[0], step.name))
    return served


def provider_steps() -> dict[str, str]:
    """The provider each provider step calls, by the step's name (its activity type)."""
    return {step.name: step.queue.value for step in STEPS if step.queue is not Queue.ORDERS}
