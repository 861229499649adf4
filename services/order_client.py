"""Starting and steering an order's workflow: how the saga is configured when it starts
(policy, priority, search attributes) and the typed calls into its updates and signals.

Every call names the workflow's own method (`OrderWorkflow.place`), so a rename is a
type error. Refusals come back as the domain errors the workflow raised.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TypeVar

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.common import (
    Priority,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from domain.errors import (
    DomainError,
    IdempotencyKeyReused,
    NotAwaitingReview,
    NotCancellable,
    NotEditable,
    OutOfStock,
    PaymentDeclined,
    PaymentUnavailable,
    ProductUnavailable,
)
from domain.identity import workflow_id_for
from domain.users import Tier
from infra.settings import Settings
from workflows import search_attributes
from workflows.contracts import (
    CancelRequest,
    CarrierUpdate,
    EditOutcome,
    EditRequest,
    OrderView,
    OrderWorkflowInput,
    Placement,
    PlacementRequest,
    ReviewDecision,
    SagaPolicy,
)
from workflows.order import OrderWorkflow
from workflows.steps import resolve_steps

MessageT = TypeVar("MessageT")

PREMIUM_PRIORITY = 1
STANDARD_PRIORITY = 3


class WorkflowClosed(Exception):
    """The order's workflow has finished; the read model has the last word."""


class StillPlacing(Exception):
    """The workflow has not answered the placement in time; the same key can retry."""


class StillEditing(Exception):
    """The workflow has not finished the edit in time; the same key can retry."""


def saga_policy(settings: Settings) -> SagaPolicy:
    """The bounds an order starts with and keeps for its life."""
    return SagaPolicy(
        review_threshold=settings.review_threshold,
        review_timeout_seconds=settings.review_timeout.total_seconds(),
        payment_bound_seconds=settings.payment_retry_bound.total_seconds(),
        shipping_bound_seconds=settings.shipping_retry_bound.total_seconds(),
        capture_bound_seconds=settings.capture_retry_bound.total_seconds(),
        compensation_bound_seconds=settings.compensation_retry_bound.total_seconds(),
        steps=resolve_steps(settings.activity_policies),
        tracking_poll_seconds=settings.tracking_poll_interval.total_seconds(),
        tracking_poll_max_seconds=settings.tracking_poll_max_interval.total_seconds(),
        delivery_window_seconds=settings.delivery_window.total_seconds(),
        authorization_hold_seconds=settings.authorization_hold.total_seconds(),
        provider_queues=settings.provider_task_queues,
    )


def priority_of(order: OrderWorkflowInput) -> Priority:
    """Premium orders leave a backlog first; within a priority, customers take turns, so
    one flooding the queue cannot starve the others. Activities inherit both."""
    return Priority(
        priority_key=PREMIUM_PRIORITY if order.customer_tier == Tier.PREMIUM else STANDARD_PRIORITY,
        fairness_key=order.customer_id,
    )


async def start_and_reserve(
    client: Client, settings: Settings, order: OrderWorkflowInput
) -> Placement:
    """Starts the order's workflow, or joins it if this key already started it, and
    waits until its stock is reserved or refused.

    Raises WorkflowClosed when the workflow ran and finished already, StillPlacing when
    it does not answer within the placement timeout.
    """
    start = WithStartWorkflowOperation(
        OrderWorkflow.run,
        order,
        id=workflow_id_for(order.order_id),
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        # A finished order is never restarted by its key: its row answers instead.
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        priority=priority_of(order),
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(search_attributes.ORDER_STATUS, "pending"),
                SearchAttributePair(search_attributes.CUSTOMER_ID, order.customer_id),
                SearchAttributePair(search_attributes.CUSTOMER_TIER, order.customer_tier),
            ]
        ),
        static_summary=(
            f"Order {order.order_id} for {order.customer_id} ({order.customer_tier}): "
            + ", ".join(f"{line.quantity} x {line.sku}" for line in order.lines)
        ),
    )
    try:
        return await asyncio.wait_for(
            client.execute_update_with_start_workflow(
                OrderWorkflow.place,
                PlacementRequest(order.fingerprint),
                start_workflow_operation=start,
                id=str(uuid.uuid4()),
            ),
            timeout=settings.placement_timeout.total_seconds(),
        )
    except WorkflowAlreadyStartedError as error:
        raise WorkflowClosed() from error
    except WorkflowUpdateFailedError as error:
        raise _refusal(error) from error
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError) as error:
        raise StillPlacing() from error
    except RPCError as error:
        if error.status == RPCStatusCode.ALREADY_EXISTS:
            raise WorkflowClosed() from error
        raise


async def cancel(
    client: Client, settings: Settings, order_id: str, request: CancelRequest
) -> OrderView | None:
    """Asks the workflow to cancel; returns its view once every undo has run, or None if
    they are still running when the wait runs out."""
    return await _steer(client, settings, order_id, OrderWorkflow.cancel, request)


async def review(
    client: Client, settings: Settings, order_id: str, decision: ReviewDecision
) -> OrderView | None:
    """Hands an ops decision to an order held for review; returns its view once the
    decision is recorded, or None if that takes longer than the wait."""
    return await _steer(client, settings, order_id, OrderWorkflow.review, decision)


async def edit(
    client: Client, settings: Settings, order_id: str, request: EditRequest
) -> EditOutcome:
    """Runs the edit in the order's workflow and answers with its outcome. The same
    edit id and body again is answered with the first outcome (a dry run is never
    kept). Raises StillEditing when the workflow has not finished it in time."""
    handle = _handle(client, order_id)
    update_id = None if request.dry_run else f"{request.edit_id}:{request.fingerprint}"
    try:
        return await asyncio.wait_for(
            handle.execute_update(OrderWorkflow.edit, request, id=update_id),
            settings.placement_timeout.total_seconds(),
        )
    except WorkflowUpdateFailedError as error:
        raise _refusal(error) from error
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError) as error:
        raise StillEditing() from error
    except RPCError as error:
        raise _not_accepted(error) from error


async def signal_carrier_event(client: Client, order_id: str, event: CarrierUpdate) -> bool:
    """Wakes the workflow with a tracking update; False when it has already finished."""
    handle = _handle(client, order_id)
    try:
        await handle.signal(OrderWorkflow.carrier_event, event)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def _steer(
    client: Client,
    settings: Settings,
    order_id: str,
    update: UpdateMethodMultiParam[[OrderWorkflow, MessageT], OrderView],
    message: MessageT,
) -> OrderView | None:
    """Sends an update; a validator's refusal comes back at once as its domain error,
    the outcome once the workflow has done it or the wait runs out (None)."""
    handle = _handle(client, order_id)
    try:
        pending = await handle.start_update(
            update, message, wait_for_stage=WorkflowUpdateStage.ACCEPTED
        )
    except (WorkflowUpdateFailedError, RPCError) as error:
        raise _not_accepted(error) from error
    try:
        return await asyncio.wait_for(pending.result(), settings.update_wait.total_seconds())
    except WorkflowUpdateFailedError as error:
        raise _refusal(error) from error
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        return None


def _handle(client: Client, order_id: str) -> WorkflowHandle[OrderWorkflow, OrderView]:
    return client.get_workflow_handle(workflow_id_for(order_id), result_type=OrderView)


def _not_accepted(error: WorkflowUpdateFailedError | RPCError) -> Exception:
    if isinstance(error, WorkflowUpdateFailedError):
        return _refusal(error)
    if error.status == RPCStatusCode.NOT_FOUND:
        return WorkflowClosed()
    return error


# The business rules an update's validator enforces, by the type name it raises them as.
_REFUSALS: dict[str, type[DomainError]] = {
    error.__name__: error
    for error in (
        IdempotencyKeyReused,
        NotCancellable,
        NotAwaitingReview,
        NotEditable,
        PaymentDeclined,
        PaymentUnavailable,
    )
}
# ... and those that name skus, which travel as the refusal's details.
_SKU_REFUSALS: dict[str, type[OutOfStock | ProductUnavailable]] = {
    error.__name__: error for error in (OutOfStock, ProductUnavailable)
}


def _refusal(error: WorkflowUpdateFailedError) -> Exception:
    """The domain error the workflow refused with, rebuilt on this side."""
    cause = error.cause
    if isinstance(cause, ApplicationError) and cause.type in _REFUSALS:
        return _REFUSALS[cause.type](cause.message)
    if isinstance(cause, ApplicationError) and cause.type in _SKU_REFUSALS:
        skus = [str(sku) for sku in (cause.details[0] if cause.details else [])]
        return _SKU_REFUSALS[cause.type](skus)
    return error
