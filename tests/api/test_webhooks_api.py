"""POST /v1/webhooks/carrier: signed tracking events."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from sqlalchemy import text
from temporalio.client import Client

from api.routes.webhooks import signature_of
from db.engine import make_engine
from db.order_reads import OrderReads
from domain.identity import workflow_id_for
from infra.settings import Settings
from tests.api.conftest import Caller, api_client, order_body, wait_for_status
from tests.factories import add_product, reserved_order
from tests.stack import WEBHOOK_SECRET, Stack
from tests.statements import statements_on


def signed(payload: dict[str, Any], secret: str = WEBHOOK_SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    return body, {"Content-Type": "application/json", "X-Signature": signature_of(body, secret)}


async def test_a_missing_or_wrong_signature_is_401(http: httpx.AsyncClient) -> None:
    payload = {"tracking_number": "T", "event": "delivered", "occurred_at": "2026-01-01T00:00:00Z"}
    body, headers = signed(payload, secret="not-the-secret")

    unsigned = await http.post("/v1/webhooks/carrier", json=payload)
    wrong = await http.post("/v1/webhooks/carrier", content=body, headers=headers)

    assert (unsigned.status_code, wrong.status_code) == (401, 401)
    assert wrong.json()["type"] == "/problems/bad-signature"


async def test_during_rotation_the_previous_secret_still_signs(settings: Settings) -> None:
    rotating = settings.model_copy(
        update={"webhook_secret": "new-secret", "webhook_previous_secret": WEBHOOK_SECRET}
    )
    payload = {
        "tracking_number": "NOPE",
        "event": "delivered",
        "occurred_at": "2026-01-01T00:00:00Z",
    }
    async with api_client(rotating) as http:
        old = await http.post(
            "/v1/webhooks/carrier", content=signed(payload)[0], headers=signed(payload)[1]
        )
        new = await http.post(
            "/v1/webhooks/carrier",
            content=signed(payload, "new-secret")[0],
            headers=signed(payload, "new-secret")[1],
        )
        other = await http.post(
            "/v1/webhooks/carrier",
            content=signed(payload, "other")[0],
            headers=signed(payload, "other")[1],
        )

    # Past the signature check an unknown tracking number is 404; a bad signature 401.
    assert (old.status_code, new.status_code, other.status_code) == (404, 404, 401)


async def test_an_unknown_tracking_number_is_404(http: httpx.AsyncClient) -> None:
    body, headers = signed(
        {"tracking_number": "NOPE", "event": "in_transit", "occurred_at": "2026-01-01T00:00:00Z"}
    )

    response = await http.post("/v1/webhooks/carrier", content=body, headers=headers)

    assert response.status_code == 404


async def test_a_malformed_event_is_422(http: httpx.AsyncClient) -> None:
    body, headers = signed({"tracking_number": "T", "event": "teleported"})

    response = await http.post("/v1/webhooks/carrier", content=body, headers=headers)

    assert response.status_code == 422
    assert {"/event", "/occurred_at"} <= {e["pointer"] for e in response.json()["errors"]}


async def shipped_with_no_news(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any, stack: Stack
) -> tuple[str, str]:
    """An order shipped by a carrier that sends no news of its own: its id and its
    parcel's tracking number, for the test to report on."""
    sku = await add_product(session_uow)
    async with httpx.AsyncClient(base_url=stack.carrier_url) as carrier:
        await carrier.put("/admin/config", json={"send_updates": False})
        try:
            placed = await http.post(
                "/v1/orders", json=order_body((sku, 1)), headers=customer.placing()
            )
            order_id = placed.json()["id"]
            shipped = await wait_for_status(http, customer, order_id, "shipped")
        finally:
            await carrier.put("/admin/config", json={})
    return order_id, shipped["shipment"]["tracking_number"]


async def test_signed_events_drive_the_order_and_a_repeat_is_applied_once(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any, stack: Stack
) -> None:
    order_id, tracking = await shipped_with_no_news(http, customer, session_uow, stack)

    def event(kind: str) -> tuple[bytes, dict[str, str]]:
        return signed(
            {"tracking_number": tracking, "event": kind, "occurred_at": "2026-01-01T10:00:00Z"}
        )

    first = await http.post(
        "/v1/webhooks/carrier", content=event("in_transit")[0], headers=event("in_transit")[1]
    )
    repeat = await http.post(
        "/v1/webhooks/carrier", content=event("in_transit")[0], headers=event("in_transit")[1]
    )
    trouble = await http.post(
        "/v1/webhooks/carrier", content=event("exception")[0], headers=event("exception")[1]
    )
    done = await http.post(
        "/v1/webhooks/carrier", content=event("delivered")[0], headers=event("delivered")[1]
    )
    delivered = await wait_for_status(http, customer, order_id, "delivered")

    assert (first.status_code, repeat.status_code, done.status_code) == (202, 202, 202)
    assert trouble.status_code == 202
    assert delivered["shipment"]["status"] == "delivered"
    events = (await http.get(f"/v1/orders/{order_id}/events", headers=customer.auth)).json()
    types = [e["type"] for e in events]
    assert types.count("shipment.in_transit") == 1
    assert types.index("shipment.exception") < types.index("shipment.delivered")


async def test_news_of_a_parcel_on_its_way_is_recorded_without_waking_the_workflow(
    http: httpx.AsyncClient, client: Client, customer: Caller, session_uow: Any, stack: Stack
) -> None:
    order_id, tracking = await shipped_with_no_news(http, customer, session_uow, stack)
    news = {"tracking_number": tracking, "occurred_at": "2026-01-01T10:00:00Z"}

    on_its_way = await _report(http, news, "in_transit")
    # Answered once written: the order shows it at once, with no wait for a workflow.
    order = (await http.get(f"/v1/orders/{order_id}", headers=customer.auth)).json()
    timeline = (await http.get(f"/v1/orders/{order_id}/events", headers=customer.auth)).json()
    done = await _report(http, news, "delivered")
    await wait_for_status(http, customer, order_id, "delivered")
    history = await client.get_workflow_handle(workflow_id_for(order_id)).fetch_history()

    assert (on_its_way.status_code, done.status_code) == (202, 202)
    assert (order["status"], order["shipment"]["status"]) == ("shipped", "in_transit")
    assert [e["data"]["occurred_at"] for e in timeline if e["type"] == "shipment.in_transit"] == [
        news["occurred_at"]
    ]
    signals = [
        e.workflow_execution_signaled_event_attributes.signal_name
        for e in history.events
        if e.HasField("workflow_execution_signaled_event_attributes")
    ]
    assert signals == ["carrier_event"]  # `delivered` only


async def _report(http: httpx.AsyncClient, news: dict[str, str], event: str) -> httpx.Response:
    body, headers = signed({**news, "event": event})
    return await http.post("/v1/webhooks/carrier", content=body, headers=headers)


def timestamped(
    payload: dict[str, Any], signed_at: float, secret: str = WEBHOOK_SECRET
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    stamp = str(int(signed_at))
    return body, {
        "Content-Type": "application/json",
        "X-Signature": signature_of(body, secret, stamp),
        "X-Signature-Timestamp": stamp,
    }


async def test_a_timestamped_signature_is_accepted_only_inside_the_replay_window(
    http: httpx.AsyncClient,
) -> None:
    payload = {"tracking_number": "NOPE", "event": "delivered", "occurred_at": "2026-01-01T00:00Z"}
    now = time.time()

    fresh = await http.post(
        "/v1/webhooks/carrier",
        content=timestamped(payload, now)[0],
        headers=timestamped(payload, now)[1],
    )
    body, stale_headers = timestamped(payload, now - 3600)
    stale = await http.post("/v1/webhooks/carrier", content=body, headers=stale_headers)
    future = await http.post(
        "/v1/webhooks/carrier",
        content=timestamped(payload, now + 3600)[0],
        headers=timestamped(payload, now + 3600)[1],
    )
    # A captured fresh request with its timestamp moved forward no longer matches.
    body, moved = timestamped(payload, now - 3600)
    moved["X-Signature-Timestamp"] = str(int(now))
    forged = await http.post("/v1/webhooks/carrier", content=body, headers=moved)
    junk = await http.post(
        "/v1/webhooks/carrier", content=body, headers={**moved, "X-Signature-Timestamp": "soon"}
    )

    assert fresh.status_code == 404  # past the signature: the tracking number is unknown
    assert [r.status_code for r in (stale, future, forged, junk)] == [401, 401, 401, 401]
    assert "replay window" in stale.json()["detail"]


async def test_untimestamped_signatures_are_refused_when_timestamps_are_required(
    settings: Settings,
) -> None:
    payload = {"tracking_number": "NOPE", "event": "delivered", "occurred_at": "2026-01-01T00:00Z"}
    strict = settings.model_copy(update={"webhook_require_timestamp": True})
    async with api_client(strict) as http:
        legacy = await http.post(
            "/v1/webhooks/carrier", content=signed(payload)[0], headers=signed(payload)[1]
        )
        stamped = await http.post(
            "/v1/webhooks/carrier",
            content=timestamped(payload, time.time())[0],
            headers=timestamped(payload, time.time())[1],
        )

    assert (legacy.status_code, stamped.status_code) == (401, 404)


async def test_an_event_that_overtakes_the_booking_finds_its_order_by_reference(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any, stack: Stack
) -> None:
    sku = await add_product(session_uow)
    early = {"event": "in_transit", "occurred_at": "2026-01-01T10:00:00Z"}
    async with httpx.AsyncClient(base_url=stack.carrier_url) as carrier:
        # The booking answers slowly: the order is authorized, its parcel not yet on record.
        await carrier.put("/admin/faults", json={"latency_ms": 3_000})
        try:
            placed = await http.post(
                "/v1/orders", json=order_body((sku, 1)), headers=customer.placing()
            )
            order_id = placed.json()["id"]
            booking = await wait_for_status(http, customer, order_id, "authorized")
            body, headers = signed({"tracking_number": "TRK-EARLY", "reference": order_id, **early})
            found = await http.post("/v1/webhooks/carrier", content=body, headers=headers)
            body, headers = signed({"tracking_number": "TRK-NONE", "reference": "ord_no", **early})
            stranger = await http.post("/v1/webhooks/carrier", content=body, headers=headers)
        finally:
            await carrier.put("/admin/faults", json={})
    await wait_for_status(http, customer, order_id, "delivered")

    assert booking["shipment"] is None
    assert (found.status_code, stranger.status_code) == (202, 404)
    events = (await http.get(f"/v1/orders/{order_id}/events", headers=customer.auth)).json()
    assert {"type": "shipment.in_transit", "occurred_at": early["occurred_at"]} in [
        {"type": e["type"], "occurred_at": e["data"].get("occurred_at")} for e in events
    ]


async def test_news_finds_its_order_by_parcel_and_by_reference_in_one_statement(
    settings: Settings, session_uow: Any
) -> None:
    """Both routes of carrier news (the parcel's tracking number; our reference, for
    news that overtakes the booking) are answered by one read."""
    shipped, overtaken = await reserved_order(session_uow), await reserved_order(session_uow)
    tracking = f"TRK-{shipped}"
    async with session_uow() as uow:
        await uow.session.execute(
            text("UPDATE shipments SET tracking_number = :tracking WHERE order_id = :id"),
            {"tracking": tracking, "id": shipped},
        )
        await uow.commit()
    database = make_engine(settings.database_url)
    reads = OrderReads(database.execution_options(isolation_level="AUTOCOMMIT"))
    try:
        with statements_on(database) as sent:
            both = await reads.standings_for_news(tracking, overtaken)
        neither = await reads.standings_for_news("TRK-NONE", "ord_none")
        by_parcel_alone = await reads.standings_for_news(tracking, None)
    finally:
        await database.dispose()

    assert [standing.id if standing else None for standing in both] == [shipped, overtaken]
    assert len(sent) == 1
    assert neither == (None, None)
    assert by_parcel_alone[0] is not None and by_parcel_alone[0].id == shipped
    assert by_parcel_alone[1] is None
