"""Shipping carrier: create and cancel shipments, then report tracking by webhook.

After a shipment is created it calls the configured webhook, signed with
HMAC-SHA256 of the raw body, with `in_transit` and then `delivered`.
Destination country `AQ` is refused. Run: `uvicorn simulators.carrier:app`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from simulators.faults import SimulatorState, install

UNSERVED_COUNTRIES = {"AQ"}


class WebhookConfig(BaseModel):
    webhook_url: str | None = Field(default_factory=lambda: os.environ.get("CARRIER_WEBHOOK_URL"))
    webhook_secret: str = Field(
        default_factory=lambda: os.environ.get(
            "CARRIER_WEBHOOK_SECRET", "development-only-secret-change-me"
        )
    )
    in_transit_after_s: float = Field(
        default_factory=lambda: float(os.environ.get("CARRIER_IN_TRANSIT_AFTER", "2"))
    )
    delivered_after_s: float = Field(
        default_factory=lambda: float(os.environ.get("CARRIER_DELIVERED_AFTER", "4"))
    )
    send_updates: bool = True


class Destination(BaseModel):
    name: str
    line1: str
    line2: str | None = None
    city: str
    postal_code: str
    country: str = Field(min_length=2, max_length=2)


class ShipmentRequest(BaseModel):
    reference: str
    destination: Destination
    items: list[dict[str, Any]]


app = FastAPI(title="Carrier simulator")
state = SimulatorState()
config = WebhookConfig()
shipments: dict[str, dict[str, Any]] = {}
deliveries: list[dict[str, Any]] = []
_tasks: set[asyncio.Task[None]] = set()

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]


def _ledger() -> dict[str, Any]:
    return {"shipments": list(shipments.values()), "webhooks": deliveries}


def _reset() -> None:
    global config
    for task in _tasks:
        task.cancel()
    shipments.clear()
    deliveries.clear()
    config = WebhookConfig()


install(app, state, _ledger, _reset)


@app.put("/admin/config")
async def set_config(new: WebhookConfig) -> WebhookConfig:
    global config
    config = new
    return config


@app.get("/admin/config")
async def get_config() -> WebhookConfig:
    return config


@app.post("/shipments")
async def create_shipment(body: ShipmentRequest, idempotency_key: IdempotencyKey = None) -> Any:
    async def perform() -> tuple[int, dict[str, Any]]:
        if body.destination.country.upper() in UNSERVED_COUNTRIES:
            return 422, {"error": "destination_unsupported", "country": body.destination.country}
        shipment = {
            "id": f"shp_{secrets.token_hex(8)}",
            "reference": body.reference,
            "carrier": "simcarrier",
            "tracking_number": f"SIM{secrets.token_hex(6).upper()}",
            "status": "created",
        }
        shipments[shipment["id"]] = shipment
        if config.send_updates and config.webhook_url:
            task = asyncio.create_task(_report_progress(shipment["id"]))
            _tasks.add(task)
            task.add_done_callback(_tasks.discard)
        return 201, shipment

    return await state.idempotent("create", idempotency_key, perform)


@app.post("/shipments/{shipment_id}/cancel")
async def cancel_shipment(shipment_id: str) -> Any:
    shipment = shipments.get(shipment_id)
    if shipment is None:
        return JSONResponse({"error": "not_found"}, status_code=404)
    if shipment["status"] == "delivered":
        return JSONResponse({"error": "already_delivered"}, status_code=409)
    shipment["status"] = "cancelled"
    return shipment


@app.get("/shipments")
async def find(reference: str) -> list[dict[str, Any]]:
    return [s for s in shipments.values() if s["reference"] == reference]


async def _report_progress(shipment_id: str) -> None:
    started = config.in_transit_after_s
    await asyncio.sleep(started)
    for event, at in (("in_transit", 0.0), ("delivered", config.delivered_after_s - started)):
        await asyncio.sleep(max(0.0, at))
        shipment = shipments.get(shipment_id)
        if shipment is None or shipment["status"] == "cancelled":
            return
        shipment["status"] = event
        await _send_webhook(shipment["tracking_number"], event)


async def _send_webhook(tracking_number: str, event: str) -> None:
    """Delivers one tracking event, retrying with backoff like a real carrier."""
    url = config.webhook_url
    if not url:
        return
    body = json.dumps(
        {
            "tracking_number": tracking_number,
            "event": event,
            "occurred_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }
    ).encode()
    signature = hmac.new(config.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Signature": f"sha256={signature}"}
    async with httpx.AsyncClient(timeout=5) as client:
        for attempt in range(8):
            try:
                response = await client.post(url, content=body, headers=headers)
                deliveries.append(
                    {
                        "tracking_number": tracking_number,
                        "event": event,
                        "status": response.status_code,
                    }
                )
                if response.status_code < 500:
                    return
            except httpx.HTTPError:
                deliveries.append({"tracking_number": tracking_number, "event": event, "status": 0})
            await asyncio.sleep(min(10.0, 0.5 * 2**attempt))
