"""An update sent in the window between an activity's commit and the workflow task that
follows it: the read model already shows the new status, the workflow does not yet.

The window is held open on purpose: the real activity runs and commits, then, before
it returns, sends the update the way a client that just read the order would."""

from __future__ import annotations

from typing import Any

import httpx
from temporalio import activity
from temporalio.client import Client, WorkflowUpdateStage

from domain.commands import CreateShipment, RequestReview, ShipmentCreated
from domain.identity import workflow_id_for
from infra.settings import Settings
from tests.factories import stock_of
from tests.workflows.conftest import carrier_updates_off, saga_with
from workflows.contracts import CancelRequest, ReviewDecision
from workflows.order import OrderWorkflow


async def test_a_review_sent_right_after_the_hold_is_recorded_is_accepted(
    client: Client, settings: Settings, session_uow: Any, simulators: dict[str, httpx.AsyncClient]
) -> None:
    accepted: list[str] = []

    def review_at_once(real: Any) -> Any:
        @activity.defn(name="request_review")
        async def request_review(command: RequestReview) -> None:
            await real(command)  # committed: the read model says awaiting_review
            handle = client.get_workflow_handle(workflow_id_for(command.order_id))
            await handle.start_update(
                OrderWorkflow.review,
                ReviewDecision(approve=True, reviewer_id="usr_ops"),
                wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            )
            accepted.append(command.order_id)

        return request_review

    async with saga_with(
        client, settings, session_uow, simulators, {"request_review": review_at_once}
    ) as saga:
        sku = await saga.product(price=9_000, on_hand=3)
        order = saga.order((sku, 1), review_threshold=5_000)
        await saga.place(order)
        outcome = await saga.outcome(order)

    assert accepted == [order.order_id]
    assert outcome.status == "delivered"


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
