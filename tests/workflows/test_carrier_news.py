"""Carrier news the saga holds at once is recorded in one step, in the order it came:
a carrier that reports `in_transit` and `delivered` while the capture is still running
costs the order one transaction, not one per piece of news (docs/saga.md)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text
from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Replayer

from domain.commands import CapturePayment, CreateShipment, RecordCarrierEvent, ShipmentCreated
from domain.identity import workflow_id_for
from infra.settings import Settings
from infra.temporal_client import data_converter
from tests.workflows.conftest import carrier_updates_off, saga_with
from worker import SANDBOX
from workflows.contracts import CarrierUpdate
from workflows.order import OrderWorkflow


async def test_news_that_comes_in_during_the_capture_is_recorded_in_one_step(
    client: Client, settings: Settings, session_uow: Any, simulators: dict[str, httpx.AsyncClient]
) -> None:
    booked: dict[str, str] = {}  # tracking number by order id
    recorded: list[RecordCarrierEvent] = []

    def remembering_the_parcel(real: Any) -> Any:
        @activity.defn(name="create_shipment")
        async def create_shipment(command: CreateShipment) -> ShipmentCreated:
            created: ShipmentCreated = await real(command)
            booked[command.order_id] = created.tracking_number
            return created

        return create_shipment

    def news_before_the_capture_returns(real: Any) -> Any:
        @activity.defn(name="capture_payment")
        async def capture_payment(command: CapturePayment) -> None:
            await real(command)
            # Both signals are in the order's history before the capture's completion.
            handle = client.get_workflow_handle(workflow_id_for(command.order_id))
            parcel = booked[command.order_id]
            for event, at in (("in_transit", "10:00"), ("delivered", "15:30")):
                update = CarrierUpdate(event, f"2026-12-01T{at}:00Z", parcel)
                await handle.signal(OrderWorkflow.carrier_event, update)

        return capture_payment

    def counting(real: Any) -> Any:
        @activity.defn(name="record_carrier_event")
        async def record_carrier_event(command: RecordCarrierEvent) -> None:
            recorded.append(command)
            await real(command)

        return record_carrier_event

    wrap = {
        "create_shipment": remembering_the_parcel,
        "capture_payment": news_before_the_capture_returns,
        "record_carrier_event": counting,
    }
    async with (
        carrier_updates_off(simulators),
        saga_with(client, settings, session_uow, simulators, wrap) as saga,
    ):
        sku = await saga.product(on_hand=3)
        order = saga.order((sku, 1))
        await saga.place(order)
        outcome = await saga.outcome(order)
        async with saga.uow() as uow:
            rows = await uow.session.execute(
                text("SELECT type FROM order_events WHERE order_id = :id ORDER BY id"),
                {"id": order.order_id},
            )
            timeline = [kind for (kind,) in rows]
        history = await saga.handle(order).fetch_history()
    replayed = await Replayer(
        workflows=[OrderWorkflow],
        workflow_runner=SANDBOX,
        data_converter=data_converter(saga.settings),
    ).replay_workflow(history)

    assert outcome.status == "delivered"
    (step,) = recorded
    assert [(news.event, news.tracking_number) for news in step.news()] == [
        ("in_transit", booked[order.order_id]),
        ("delivered", booked[order.order_id]),
    ]
    assert timeline[-2:] == ["shipment.in_transit", "shipment.delivered"]
    assert replayed.replay_failure is None
