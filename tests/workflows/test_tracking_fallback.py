"""Webhooks get lost: the carrier gives up, or calls before our record of the parcel
exists. The saga then asks the carrier itself, and the order still completes."""

from __future__ import annotations

from typing import Any

import httpx
from temporalio.client import Client

from infra.settings import Settings
from tests.workflows.conftest import saga_with

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
