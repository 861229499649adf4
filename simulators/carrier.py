"""Shipping carrier: create and cancel shipments, then report tracking by webhook.

After a shipment is created it calls the configured webhook, signed with
HMAC-SHA256 of the raw body, with `in_transit` and then `delivered`.
Destination country `AQ` is refused. Shipments, their due tracking events and every
webhook call are kept in `SIMULATOR_STATE_DIR/carrier.sqlite3` (memory only when
unset): after a restart the events still due are sent, late ones at once, each with
the time it happened. Run: `uvicorn simulators.carrier:app`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from simulators.faults import SimulatorState, install
from simulators.store import Store, default_path

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
    # Events still happen, but their webhooks are lost on the way (marked sent, never
    # sent): only asking the carrier finds them.
    lose_webhooks: bool = False


class Destination(BaseModel):
    name: str
    line1: str
    line2: str | None = None
    city: str
    postal_code: str
    country: str = Field(min_length=2, max_length=2)


class Origin(BaseModel):  # where the parcel is picked up: the location holding its units
    location_id: str
    country: str = Field(min_length=2, max_length=2)


class ShipmentRequest(BaseModel):
    reference: str
    destination: Destination
    items: list[dict[str, Any]]
    origin: Origin | None = None  # None: the shop's one address


store = Store(default_path("carrier"))
state = SimulatorState(store)
config = WebhookConfig()
_tasks: set[asyncio.Task[None]] = set()
# One client for every webhook: a new one per call costs a TLS context each time.
_webhooks: httpx.AsyncClient | None = None


def _webhook_client() -> httpx.AsyncClient:
    global _webhooks
    if _webhooks is None:
        _webhooks = httpx.AsyncClient(timeout=5)
    return _webhooks


@asynccontextmanager
async def _lifespan(_: FastAPI) -> AsyncIterator[None]:
    for shipment in store.all("shipment"):
        if shipment["status"] != "cancelled" and any(
            not event["sent"] for event in shipment.get("due", [])
        ):
            _follow(shipment["id"])
    yield
    for task in list(_tasks):
        task.cancel()
    if _webhooks is not None:
        await _webhooks.aclose()


app = FastAPI(title="Carrier simulator", lifespan=_lifespan)

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]


def _ledger() -> dict[str, Any]:
    return {"shipments": store.all("shipment"), "webhooks": store.all("webhook")}


def _reset() -> None:
    global config
    for task in list(_tasks):
        task.cancel()
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
        shipment: dict[str, Any] = {
            "id": f"shp_{secrets.token_hex(8)}",
            "reference": body.reference,
            "carrier": "simcarrier",
            "tracking_number": f"SIM{secrets.token_hex(6).upper()}",
            "status": "created",
            "origin": body.origin.model_dump() if body.origin else None,
            "items": body.items,
        }
        reply = dict(shipment)
        if config.send_updates and config.webhook_url:
            now = time.time()
            shipment["due"] = [
                {"event": "in_transit", "at": now + config.in_transit_after_s, "sent": False},
                {"event": "delivered", "at": now + config.delivered_after_s, "sent": False},
            ]
        _save(shipment)
        if shipment.get("due"):
            _follow(shipment["id"])
        return 201, reply

    return await state.idempotent("create", idempotency_key, perform)


@app.post("/shipments/{shipment_id}/cancel")
async def cancel_shipment(shipment_id: str) -> Any:
    shipment = store.get("shipment", shipment_id)
    if shipment is None:
        return JSONResponse({"error": "not_found"}, status_code=404)
    if shipment["status"] == "delivered":
        return JSONResponse({"error": "already_delivered"}, status_code=409)
    shipment["status"] = "cancelled"
    _save(shipment)
    return _public(shipment)


@app.get("/shipments")
async def find(reference: str) -> list[dict[str, Any]]:
    return [_public(shipment) for shipment in store.by_ref("shipment", reference)]


def _save(shipment: dict[str, Any]) -> None:
    store.put("shipment", shipment["id"], shipment, ref=shipment["reference"])


def _public(shipment: dict[str, Any]) -> dict[str, Any]:
    """The shipment with its tracking history: what has happened, not what is due."""
    public = {key: value for key, value in shipment.items() if key != "due"}
    public["events"] = [
        {"event": event["event"], "occurred_at": event["occurred_at"]}
        for event in shipment.get("due", [])
        if event.get("occurred_at")
    ]
    return public


def _follow(shipment_id: str) -> None:
    task = asyncio.create_task(_report_progress(shipment_id))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def _report_progress(shipment_id: str) -> None:
    """Moves the parcel on as its events fall due, whether or not anyone hears of it:
    each event is marked as happened (status and time) first, then its webhook goes out
    on its own, so a restart resends it unchanged and a failing webhook holds up
    nothing."""
    while True:
        shipment = store.get("shipment", shipment_id)
        if shipment is None or shipment["status"] == "cancelled":
            return
        for index, event in enumerate(shipment.get("due", [])):
            if event.get("occurred_at") and not event["sent"]:
                _announce(shipment_id, index)
        upcoming = [event for event in shipment.get("due", []) if not event.get("occurred_at")]
        if not upcoming:
            return
        await asyncio.sleep(max(0.0, upcoming[0]["at"] - time.time()))
        shipment = store.get("shipment", shipment_id)
        if shipment is None or shipment["status"] == "cancelled":
            return
        event = next(e for e in shipment["due"] if not e.get("occurred_at"))
        event["occurred_at"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        shipment["status"] = event["event"]
        _save(shipment)


_announcing: set[tuple[str, int]] = set()


def _announce(shipment_id: str, index: int) -> None:
    """Sends the webhook of one event that happened, once per process."""
    if (shipment_id, index) in _announcing:
        return
    _announcing.add((shipment_id, index))

    async def send() -> None:
        try:
            shipment = store.get("shipment", shipment_id)
            if shipment is None:
                return
            event = shipment["due"][index]
            if config.lose_webhooks:
                shipment["due"][index]["sent"] = True
                _save(shipment)
                return
            await _send_webhook(
                shipment["tracking_number"],
                shipment["reference"],
                event["event"],
                event["occurred_at"],
            )
            shipment = store.get("shipment", shipment_id)
            if shipment is not None:
                shipment["due"][index]["sent"] = True
                _save(shipment)
        finally:
            _announcing.discard((shipment_id, index))

    task = asyncio.create_task(send())
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def _send_webhook(tracking_number: str, reference: str, event: str, occurred_at: str) -> None:
    """Delivers one tracking event, retrying with backoff like a real carrier. It names
    the shipper's own reference too, as carriers do."""
    body = json.dumps(
        {
            "tracking_number": tracking_number,
            "reference": reference,
            "event": event,
            "occurred_at": occurred_at,
        }
    ).encode()
    client = _webhook_client()
    for attempt in range(20):  # about three minutes, like a patient carrier
        url = config.webhook_url
        if not url:
            return
        # Signed afresh for each attempt: the timestamp says when, not what.
        signed_at = str(int(time.time()))
        signature = hmac.new(
            config.webhook_secret.encode(), signed_at.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "X-Signature": f"sha256={signature}",
            "X-Signature-Timestamp": signed_at,
        }
        try:
            response = await client.post(url, content=body, headers=headers)
            status = response.status_code
        except httpx.HTTPError:
            status = 0
        delivery = {"tracking_number": tracking_number, "event": event, "status": status}
        store.put("webhook", uuid.uuid4().hex, delivery)
        if 0 < status < 500:
            return
        await asyncio.sleep(min(10.0, 0.5 * 2**attempt))
