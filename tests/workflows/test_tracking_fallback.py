"""Webhooks get lost: the carrier gives up, or calls before our record of the parcel
exists. The saga then asks the carrier itself, and the order still completes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from temporalio.client import Client, WorkflowExecutionStatus

from infra.settings import Settings
from services.books import check
from tests.polling import eventually
from tests.workflows.conftest import saga_with
from workflows.steps import resolve_steps

NOWHERE = "http://127.0.0.1:9/v1/webhooks/carrier"  # discard port: nothing listens


async def test_an_order_is_delivered_when_no_webhook_ever_arrives(
    client: Client, settings: Settings, session_uow: Any, simulators: dict[str, httpx.AsyncClient]
) -> None:
    carrier = simulators["carrier"]
    config = (await carrier.get("/admin/config")).json()
    await carrier.put("/admin/config", json={**config, "webhook_url": NOWHERE})
    try:
        async with saga_with(client, settings, session_uow, simulators, wrap={}) as saga:
            sku = await saga.product(on_hand=2)
            order = saga.order((sku, 1), tracking_poll_seconds=1)
            await saga.place(order)
            outcome = await saga.outcome(order)
            history = await saga.handle(order).fetch_history()
    finally:
        await carrier.put("/admin/config", json=config)

    assert outcome.status == "delivered"
    tracked = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    assert "track_shipment" in tracked
    async with session_uow() as uow:
        timeline = await uow.orders.event_data(order.order_id, "shipment.delivered")
    assert timeline is not None


async def test_a_tracking_outage_longer_than_a_polls_bound_still_ends_delivered(
    client: Client, settings: Settings, session_uow: Any, simulators: dict[str, httpx.AsyncClient]
) -> None:
    """The reproduction of a Failed execution: the carrier's tracking down and every
    webhook lost, for longer than one poll may retry. Each poll gives up; the next one
    asks again, and once the carrier answers the order is delivered, its row says so,
    and the books are straight."""
    carrier = simulators["carrier"]
    config = (await carrier.get("/admin/config")).json()
    steps = resolve_steps({"track_shipment": {"start_to_close_seconds": 1, "maximum_attempts": 2}})
    await carrier.put("/admin/config", json={**config, "lose_webhooks": True})
    try:
        async with saga_with(client, settings, session_uow, simulators, wrap={}) as saga:
            sku = await saga.product(on_hand=2)
            order = saga.order(
                (sku, 1), tracking_poll_seconds=1, tracking_poll_max_seconds=2, steps=steps
            )
            await carrier.put("/admin/faults", json={"down": True, "only_methods": ["GET"]})
            await saga.place(order)

            async def polls_failed_for_good() -> bool:
                history = await saga.handle(order).fetch_history()
                failed = [
                    e
                    for e in history.events
                    if e.HasField("activity_task_failed_event_attributes")
                    or e.HasField("activity_task_timed_out_event_attributes")
                ]
                return len(failed) >= 3

            await eventually(polls_failed_for_good, timeout=120)
            await carrier.put("/admin/faults", json={})
            outcome = await saga.outcome(order, timeout=120)
            description = await saga.handle(order).describe()
            violations = await check(
                saga.settings, order_ids=[order.order_id], grace=timedelta(0), temporal=client
            )
    finally:
        await carrier.put("/admin/faults", json={})
        await carrier.put("/admin/config", json=config)

    assert outcome.status == "delivered"
    assert description.status == WorkflowExecutionStatus.COMPLETED
    async with session_uow() as uow:
        stored = await uow.orders.get(order.order_id, lock=False)
    assert stored is not None and stored.status.value == "delivered"
    assert [str(v) for v in violations] == []
