"""Locations through the API: added, listed and changed by admins; stock counted per
location with totals kept for existing clients; an order split across locations only
when no one has it all, each decision on its timeline in words, its units shipped from
where they were held; out of stock only when every active location together is short."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from cli.admin.check import run_check
from infra.settings import Settings
from tests.api.conftest import Caller, order_body, wait_for_status
from tests.factories import add_product


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def add_location(http: httpx.AsyncClient, admin: Caller, country: str, priority: int) -> str:
    location = unique(country.lower())
    made = await http.post(
        "/v1/locations",
        json={
            "id": location,
            "name": f"Warehouse {location}",
            "country": country,
            "priority": priority,
        },
        headers=admin.auth,
    )
    assert made.status_code == 201, made.text
    assert made.headers["Location"] == f"/v1/locations/{location}"
    return location


async def stock_at(
    http: httpx.AsyncClient, admin: Caller, location: str, sku: str, on_hand: int
) -> None:
    counted = await http.put(
        f"/v1/locations/{location}/inventory/{sku}", json={"on_hand": on_hand}, headers=admin.auth
    )
    assert counted.status_code == 200, counted.text


async def levels(http: httpx.AsyncClient, admin: Caller, sku: str) -> dict[str, Any]:
    answer = await http.get(f"/v1/inventory/{sku}", headers=admin.auth)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_admins_add_list_and_change_locations(
    http: httpx.AsyncClient, admin: Caller, ops: Caller, customer: Caller
) -> None:
    location = await add_location(http, admin, "NL", 50)
    again = await http.post(
        "/v1/locations",
        json={"id": location, "name": "Again", "country": "NL"},
        headers=admin.auth,
    )
    bad = await http.post(
        "/v1/locations", json={"id": "Not An Id", "name": "x", "country": "nl"}, headers=admin.auth
    )
    by_customer = await http.get("/v1/locations", headers=customer.auth)
    changed = await http.patch(
        f"/v1/locations/{location}", json={"active": False, "priority": 7}, headers=admin.auth
    )
    listed = (await http.get("/v1/locations", headers=ops.auth)).json()["data"]
    missing = await http.patch("/v1/locations/no-such-place", json={}, headers=admin.auth)

    assert again.status_code == 409 and again.json()["type"] == "/problems/location-taken"
    assert bad.status_code == 422
    assert by_customer.status_code == 403
    assert changed.json() == {
        "id": location,
        "name": f"Warehouse {location}",
        "country": "NL",
        "priority": 7,
        "active": False,
    }
    assert {"default", location} <= {item["id"] for item in listed}
    assert missing.status_code == 404


async def test_an_order_splits_only_when_no_location_has_it_all_and_ships_from_each(
    http: httpx.AsyncClient, admin: Caller, customer: Caller, session_uow: Any, settings: Settings
) -> None:
    sku = await add_product(session_uow, on_hand=0)
    near = await add_location(http, admin, "GB", 10)  # the test address is in GB
    far = await add_location(http, admin, "DE", 5)
    await stock_at(http, admin, near, sku, 2)
    await stock_at(http, admin, far, sku, 3)

    whole = await http.post("/v1/orders", json=order_body((sku, 2)), headers=customer.placing())
    split = await http.post("/v1/orders", json=order_body((sku, 3)), headers=customer.placing())
    short = await http.post("/v1/orders", json=order_body((sku, 1)), headers=customer.placing())
    assert (whole.status_code, split.status_code) == (201, 201), split.text
    for placed in (whole, split):
        await wait_for_status(http, customer, placed.json()["id"], "delivered")
    after = await levels(http, admin, sku)
    timelines = [
        (await http.get(f"/v1/orders/{p.json()['id']}/events", headers=customer.auth)).json()
        for p in (whole, split)
    ]

    reasons = [
        next(e for e in timeline if e["type"] == "inventory.reserved")["data"]["allocation"]
        for timeline in timelines
    ]
    # Two units in the destination country; then the other three are only far away.
    assert reasons[0] == [f"2 x {sku} from {near}: fewest shipments, same country"]
    assert reasons[1] == [f"3 x {sku} from {far}: fewest shipments, ships from DE"]
    assert short.status_code == 409 and short.json()["skus"] == [sku]
    # Each unit left from where it was held.
    assert {item["location_id"]: item["on_hand"] for item in after["locations"]} == {
        "default": 0,
        near: 0,
        far: 0,
    }
    for placed in (whole, split):
        assert await run_check(settings, [placed.json()["id"]], grace=0) == 0


async def test_a_line_splits_across_locations_when_none_has_it_all(
    http: httpx.AsyncClient, admin: Caller, customer: Caller, session_uow: Any
) -> None:
    # Held for review, so its units stay reserved while the test reads them.
    sku = await add_product(session_uow, price=60_000, on_hand=1)  # 1 at default
    other = await add_location(http, admin, "IE", 500)
    await stock_at(http, admin, other, sku, 2)

    placed = await http.post("/v1/orders", json=order_body((sku, 3)), headers=customer.placing())
    assert placed.status_code == 201, placed.text
    held = await levels(http, admin, sku)
    timeline = (
        await http.get(f"/v1/orders/{placed.json()['id']}/events", headers=customer.auth)
    ).json()

    reserved = next(e for e in timeline if e["type"] == "inventory.reserved")["data"]
    assert len(reserved["allocation"]) == 2
    assert (held["on_hand"], held["reserved"], held["available"]) == (3, 3, 0)
    assert {item["location_id"]: item["reserved"] for item in held["locations"]} == {
        "default": 1,
        other: 2,
    }


async def test_an_inactive_location_takes_no_new_orders(
    http: httpx.AsyncClient, admin: Caller, customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, on_hand=0)
    closing = await add_location(http, admin, "FR", 1)
    await stock_at(http, admin, closing, sku, 10)
    await http.patch(f"/v1/locations/{closing}", json={"active": False}, headers=admin.auth)

    refused = await http.post("/v1/orders", json=order_body((sku, 1)), headers=customer.placing())
    await http.patch(f"/v1/locations/{closing}", json={"active": True}, headers=admin.auth)
    taken = await http.post("/v1/orders", json=order_body((sku, 1)), headers=customer.placing())

    assert refused.status_code == 409 and refused.json()["type"] == "/problems/out-of-stock"
    assert taken.status_code == 201, taken.text


async def test_a_split_order_shows_each_parcel_with_its_location_tracking_and_part_paid(
    http: httpx.AsyncClient, admin: Caller, customer: Caller, session_uow: Any, settings: Settings
) -> None:
    sku = await add_product(session_uow, price=400, on_hand=1)  # 1 at default
    other = await add_location(http, admin, "GB", 1)
    await stock_at(http, admin, other, sku, 2)

    placed = await http.post("/v1/orders", json=order_body((sku, 3)), headers=customer.placing())
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    await wait_for_status(http, customer, order_id, "delivered")
    order = (await http.get(f"/v1/orders/{order_id}", headers=customer.auth)).json()

    parcels = order["shipments"]
    assert [(p["id"], p["status"]) for p in parcels] == [
        (f"{order_id}-1", "delivered"),
        (f"{order_id}-2", "delivered"),
    ]
    assert sorted((p["location_id"], p["items"][0]["quantity"]) for p in parcels) == sorted(
        [(other, 2), ("default", 1)]
    )
    assert sum(p["captured"]["amount"] for p in parcels) == order["total"]["amount"] == 1_200
    assert len({p["tracking_number"] for p in parcels}) == 2
    # `shipment` stays: the first parcel.
    assert order["shipment"]["tracking_number"] == parcels[0]["tracking_number"]
    assert await run_check(settings, [order_id], grace=0) == 0
