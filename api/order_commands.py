"""What the order routes ask of Temporal: start or rejoin the order's workflow, and
send it updates and signals. Temporal failures become problems here."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
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

from api.problems import Problem, unavailable
from domain.identity import workflow_id_for
from domain.users import Tier
from infra.settings import Settings
from workflows import search_attributes
from workflows.contracts import (
    CancelRequest,
    CarrierEvent,
    OrderView,
    OrderWorkflowInput,
    Placement,
    PlacementRequest,
    ReviewDecision,
    SagaPolicy,
)
from workflows.policies import resolve_steps

WORKFLOW = "OrderWorkflow"
PREMIUM_PRIORITY = 1
STANDARD_PRIORITY = 3


class WorkflowClosed(Exception):
    """The order's workflow has finished; the read model has the last word."""


def saga_policy(settings: Settings) -> SagaPolicy:
    return SagaPolicy(
        review_threshold=settings.review_threshold,
        review_timeout_seconds=settings.review_timeout.total_seconds(),
        payment_bound_seconds=settings.payment_retry_bound.total_seconds(),
        shipping_bound_seconds=settings.shipping_retry_bound.total_seconds(),
        capture_bound_seconds=settings.capture_retry_bound.total_seconds(),
        compensation_bound_seconds=settings.compensation_retry_bound.total_seconds(),
        steps=resolve_steps(settings.activity_policies),
        tracking_poll_seconds=settings.tracking_poll_interval.total_seconds(),
        provider_queues={
            "payment": settings.payment_task_queue,
            "carrier": settings.carrier_task_queue,
            "email": settings.email_task_queue,
        },
    )


def priority_of(order: OrderWorkflowInput) -> Priority:
    """Premium orders leave a backlog first; within a priority, customers take turns, so
    one flooding the queue cannot starve the others. Activities inherit both."""
    return Priority(
        priority_key=PREMIUM_PRIORITY if order.customer_tier == Tier.PREMIUM else STANDARD_PRIORITY,
        fairness_key=order.customer_id,
    )


async def place_order(client: Client, settings: Settings, order: OrderWorkflowInput) -> Placement:
    """Starts the order's workflow, or joins it if this key already started it, and
    waits until its stock is reserved or refused.

    Raises WorkflowClosed when the workflow ran and finished already.
    """
    start: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
        WORKFLOW,
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
        result_type=None,
    )
    try:
        placement: Placement = await asyncio.wait_for(
            client.execute_update_with_start_workflow(
                "place",
                PlacementRequest(order.fingerprint),
                start_workflow_operation=start,
                id=str(uuid.uuid4()),
                result_type=Placement,
            ),
            timeout=settings.placement_timeout.total_seconds(),
        )
    except WorkflowAlreadyStartedError as error:
        raise WorkflowClosed() from error
    except WorkflowUpdateFailedError as error:
        raise _problem_from_update(error) from error
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError) as error:
        raise Problem(
            503,
            "/problems/placement-pending",
            "the order is still being placed; retry with the same Idempotency-Key",
            headers={"Retry-After": "2"},
        ) from error
    except RPCError as error:
        if error.status == RPCStatusCode.ALREADY_EXISTS:
            raise WorkflowClosed() from error
        raise unavailable("temporal") from error
    return placement


async def cancel_order(
    client: Client, settings: Settings, order_id: str, request: CancelRequest
) -> OrderView | None:
    """Asks the workflow to cancel; returns its view once done, or None if compensation
    is still running when the wait runs out."""
    return await _update(client, settings, order_id, "cancel", request)


async def review_order(
    client: Client, settings: Settings, order_id: str, decision: ReviewDecision
) -> OrderView | None:
    return await _update(client, settings, order_id, "review", decision)


async def forward_carrier_event(client: Client, order_id: str, event: CarrierEvent) -> bool:
    """Signals the tracking update; False when the workflow has already finished."""
    handle = client.get_workflow_handle(workflow_id_for(order_id))
    try:
        await handle.signal("carrier_event", event)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return False
        raise unavailable("temporal") from error
    return True


async def _update(
    client: Client, settings: Settings, order_id: str, update: str, argument: object
) -> OrderView | None:
    handle = client.get_workflow_handle(workflow_id_for(order_id))
    try:
        pending = await handle.start_update(
            update,
            argument,
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            result_type=OrderView,
        )
    except WorkflowUpdateFailedError as error:
        raise _problem_from_update(error) from error
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise WorkflowClosed() from error
        raise unavailable("temporal") from error
    try:
        return await asyncio.wait_for(pending.result(), settings.update_wait.total_seconds())
    except WorkflowUpdateFailedError as error:
        raise _problem_from_update(error) from error
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        return None


_UPDATE_PROBLEMS = {
    "IdempotencyKeyReused": (422, "/problems/idempotency-key-reused"),
    "NotCancellable": (409, "/problems/not-cancellable"),
    "NotAwaitingReview": (409, "/problems/not-awaiting-review"),
}


def _problem_from_update(error: WorkflowUpdateFailedError) -> Problem:
    cause = error.cause
    if isinstance(cause, ApplicationError) and cause.type in _UPDATE_PROBLEMS:
        status, problem_type = _UPDATE_PROBLEMS[cause.type]
        return Problem(status, problem_type, cause.message)
    return Problem(500, "/problems/internal", "the order workflow refused the request")
