"""Carrier news that comes before our booking of the parcel is recorded waits in the
database (db/early_news.py): the booking writes what is only news and answers the
saga with what it acts on, so no signal has to wake the workflow."""

from __future__ import annotations

from sqlalchemy import func, select
from temporalio.worker import Replayer

from db.tables import EarlyCarrierNewsRow
from infra.temporal_client import data_converter
from tests.polling import eventually
from tests.workflows.conftest import Saga, carrier_updates_off
from worker import SANDBOX
from workflows.contracts import CarrierUpdate
from workflows.order import OrderWorkflow

ON_ITS_WAY, ARRIVED = "2026-12-01T09:00:00Z", "2026-12-01T15:00:00Z"


async def test_news_before_the_booking_is_recorded_comes_back_with_the_booking(
    saga: Saga,
) -> None:
    sku = await saga.product(on_hand=2)
    order = saga.order((sku, 1), shipping_bound_seconds=300)
    async with carrier_updates_off(saga.simulators):
        # The carrier books the parcel but its answers are lost: our booking retries,
        # and the carrier's news comes in meanwhile.
        await saga.faults("carrier", lose_replies=1_000_000)
        try:
            await saga.place(order)
            tracking = await eventually(lambda: _booked_at_carrier(saga, order.order_id), 60)
            async with saga.uow() as uow:
                left = [
                    await uow.early_news.leave(order.order_id, tracking, event, at)
                    for event, at in (("in_transit", ON_ITS_WAY), ("delivered", ARRIVED))
                ]
                await uow.commit()
        finally:
            await saga.faults("carrier")
        outcome = await saga.outcome(order)
    history = await saga.handle(order).fetch_history()

    replayed = await Replayer(
        workflows=[OrderWorkflow],
        workflow_runner=SANDBOX,
        data_converter=data_converter(saga.settings),
    ).replay_workflow(history)

    assert left == [True, True]
    assert outcome.status == "delivered"
    assert replayed.replay_failure is None
    signals = [
        e for e in history.events if e.HasField("workflow_execution_signaled_event_attributes")
    ]
    assert signals == []
    async with saga.uow() as uow:
        in_transit = await uow.orders.event_data(order.order_id, "shipment.in_transit")
        delivered = await uow.orders.event_data(order.order_id, "shipment.delivered")
        waiting = await uow.session.scalar(
            select(func.count()).where(EarlyCarrierNewsRow.order_id == order.order_id)
        )
    assert (in_transit or {}).get("occurred_at") == ON_ITS_WAY
    assert (delivered or {}).get("occurred_at") == ARRIVED
    assert waiting == 0


async def test_news_of_a_booked_order_is_not_left_for_a_booking(saga: Saga) -> None:
    sku = await saga.product(on_hand=2)
    order = saga.order((sku, 1))
    async with carrier_updates_off(saga.simulators):
        await saga.place(order)
        await eventually(lambda: _shipped(saga, order.order_id), 60)
        async with saga.uow() as uow:
            left = await uow.early_news.leave(order.order_id, "SIM-LATE", "in_transit", ON_ITS_WAY)
            await uow.commit()
        await saga.handle(order).signal("carrier_event", CarrierUpdate("delivered", ARRIVED))
        outcome = await saga.outcome(order)

    # Once every parcel is booked nothing would take left news: it goes the usual way.
    assert left is False
    assert outcome.status == "delivered"


async def _booked_at_carrier(saga: Saga, order_id: str) -> str | None:
    shipments = (await saga.ledger("carrier"))["shipments"]
    return next((s["tracking_number"] for s in shipments if s["reference"] == order_id), None)


async def _shipped(saga: Saga, order_id: str) -> bool:
    async with saga.uow() as uow:
        order = await uow.orders.get(order_id, lock=False)
    return order is not None and order.status.value == "shipped"
