"""An update sent in the window between an activity's commit and the workflow task that
follows it: the read model already shows the new status, the workflow does not yet.

The window is held open on purpose: the real activity runs and commits, then, before
it returns, sends the update the way a client that just read the order would. A
database step is a local activity, run inside the workflow task that the update has
to wait for, so that step returns as soon as the server holds the update (admitted),
and the test then waits for its acceptance; the provider step, an ordinary activity,
waits for the acceptance itself."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from temporalio import activity
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import UpdateWorkflowExecutionLifecycleStage
from temporalio.api.update.v1 import UpdateRef, WaitPolicy
from temporalio.api.workflowservice.v1 import PollWorkflowExecutionUpdateRequest
from temporalio.client import Client, WorkflowUpdateHandle, WorkflowUpdateStage
from temporalio.service import RPCError, RPCStatusCode

from domain.commands import CreateShipment, RequestReview, ShipmentCreated
from domain.identity import workflow_id_for
from infra.settings import Settings
from tests.factories import stock_of
from tests.workflows.conftest import carrier_updates_off, saga_with
from workflows.contracts import CancelRequest, OrderView, ReviewDecision
from workflows.order import OrderWorkflow


async def test_a_review_sent_right_after_the_hold_is_recorded_is_accepted(
    client: Client, settings: Settings, session_uow: Any, simulators: dict[str, httpx.AsyncClient]
) -> None:
    sent: list[asyncio.Task[WorkflowUpdateHandle[OrderView]]] = []

    def review_at_once(real: Any) -> Any:
        @activity.defn(name="request_review")
        async def request_review(command: RequestReview) -> None:
            await real(command)  # committed: the read model says awaiting_review
            handle = client.get_workflow_handle(workflow_id_for(command.order_id))
            update_id = f"review-{uuid.uuid4().hex[:8]}"
            review = handle.start_update(
                OrderWorkflow.review,
                ReviewDecision(approve=True, reviewer_id="usr_ops"),
                id=update_id,
                wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            )
            sent.append(asyncio.create_task(review))
            await _admitted(client, workflow_id_for(command.order_id), update_id)

        return request_review

    async with saga_with(
        client, settings, session_uow, simulators, {"request_review": review_at_once}
    ) as saga:
        sku = await saga.product(price=9_000, on_hand=3)
        order = saga.order((sku, 1), review_threshold=5_000)
        await saga.place(order)
        (review,) = sent
        reviewed = await (await asyncio.wait_for(review, 60)).result()
        outcome = await saga.outcome(order)

    assert reviewed.status != "awaiting_review"
    assert outcome.status == "delivered"


async def _admitted(client: Client, workflow_id: str, update_id: str) -> None:
    """Returns once the server holds the update (the SDK's own wait is for acceptance,
    which the workflow task this step runs in holds back)."""
    poll = PollWorkflowExecutionUpdateRequest(
        namespace=client.namespace,
        update_ref=UpdateRef(
            workflow_execution=WorkflowExecution(workflow_id=workflow_id), update_id=update_id
        ),
        wait_policy=WaitPolicy(
            lifecycle_stage=UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED
        ),
    )
    async with asyncio.timeout(60):
        while True:
            try:
                await client.workflow_service.poll_workflow_execution_update(poll)
                return
            except RPCError as error:
                if error.status is not RPCStatusCode.NOT_FOUND:
                    raise
            await asyncio.sleep(0.05)


async def test_a_cancel_sent_while_the_parcel_is_booked_is_accepted_and_undone(
    client: Client, settings: Settings, session_uow: Any, simulators: dict[str, httpx.AsyncClient]
) -> None:
    accepted: list[str] = []

    def cancel_during_booking(real: Any) -> Any:
        @activity.defn(name="create_shipment")
        async def create_shipment(command: CreateShipment) -> ShipmentCreated:
            # The read model says `authorized`: a client may cancel now.
            handle = client.get_workflow_handle(workflow_id_for(command.order_id))
            await handle.start_update(
                OrderWorkflow.cancel,
                CancelRequest(reason="changed my mind"),
                wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            )
            accepted.append(command.order_id)
            created: ShipmentCreated = await real(command)
            return created

        return create_shipment

    async with (
        carrier_updates_off(simulators),
        saga_with(
            client, settings, session_uow, simulators, {"create_shipment": cancel_during_booking}
        ) as saga,
    ):
        sku = await saga.product(on_hand=4)
        order = saga.order((sku, 1))
        await saga.place(order)
        outcome = await saga.outcome(order)
        shipments = (await saga.ledger("carrier"))["shipments"]
        operations = await saga.payment_operations(order.order_id)

    assert accepted == [order.order_id]
    assert outcome.status == "cancelled"
    assert [s["status"] for s in shipments if s["reference"] == order.order_id] == ["cancelled"]
    assert operations == ["authorize", "void"]
    stock = await stock_of(session_uow, sku)
    assert (stock.on_hand, stock.reserved) == (4, 0)
