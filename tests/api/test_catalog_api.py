"""/v1/products and /v1/inventory."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from temporalio.testing import ActivityEnvironment

from activities.stock import StockActivities
from domain.commands import LineRequest, ReleaseStock, ReserveStock
from domain.identity import new_id
from domain.order import Address
from tests.api.conftest import Caller, order_body, wait_for_status
from tests.factories import add_user


def new_product(price: int = 1500, **extra: Any) -> dict[str, Any]:
    return {
        "sku": f"P-{uuid.uuid4().hex[:8].upper()}",
        "name": "A product",
        "price": {"amount": price, "currency": "USD"},
        **extra,
    }


async def stocked(http: httpx.AsyncClient, admin: Caller, on_hand: int, **extra: Any) -> str:
    body = new_product(**extra)
    assert (await http.post("/v1/products", json=body, headers=admin.auth)).status_code == 201
    put = await http.put(
        f"/v1/inventory/{body['sku']}", json={"on_hand": on_hand}, headers=admin.auth
    )
    assert put.status_code == 200, put.text
    return str(body["sku"])


async def test_a_product_is_created_once_and_readable_by_anyone(
    http: httpx.AsyncClient, admin: Caller, customer: Caller
) -> None:
    body = new_product(description="Blue")

    created = await http.post("/v1/products", json=body, headers=admin.auth)
    again = await http.post("/v1/products", json=body, headers=admin.auth)
    read = await http.get(f"/v1/products/{body['sku']}", headers=customer.auth)

    assert created.status_code == 201
    assert created.headers["Location"] == f"/v1/products/{body['sku']}"
    assert again.status_code == 409
    assert read.json()["price"] == {"amount": 1500, "currency": "USD"}


async def test_a_price_in_another_currency_is_422(http: httpx.AsyncClient, admin: Caller) -> None:
    body = new_product() | {"price": {"amount": 100, "currency": "EUR"}}

    response = await http.post("/v1/products", json=body, headers=admin.auth)

    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/price/currency"


async def test_products_are_listed_by_sku_and_filtered_by_active(
    http: httpx.AsyncClient, admin: Caller, customer: Caller
) -> None:
    inactive = new_product(active=False)
    await http.post("/v1/products", json=inactive, headers=admin.auth)
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 50, "active": "false"} | (
            {"cursor": cursor} if cursor else {}
        )
        page = (await http.get("/v1/products", params=params, headers=customer.auth)).json()
        seen += page["data"]
        if not (cursor := page["next_cursor"]):
            break

    assert inactive["sku"] in [p["sku"] for p in seen]
    assert all(not p["active"] for p in seen)
    assert [p["sku"] for p in seen] == sorted(p["sku"] for p in seen)


async def test_a_new_price_leaves_placed_orders_at_theirs(
    http: httpx.AsyncClient, admin: Caller, customer: Caller
) -> None:
    sku = await stocked(http, admin, on_hand=10, price=1000)
    placed = await http.post("/v1/orders", json=order_body((sku, 2)), headers=customer.placing())

    patched = await http.patch(
        f"/v1/products/{sku}",
        json={"price": {"amount": 9999, "currency": "USD"}},
        headers=admin.auth,
    )
    order = await http.get(f"/v1/orders/{placed.json()['id']}", headers=customer.auth)

    assert patched.json()["price"]["amount"] == 9999
    assert order.json()["total"]["amount"] == 2000


async def test_a_deactivated_product_stays_readable_but_cannot_be_ordered(
    http: httpx.AsyncClient, admin: Caller, customer: Caller
) -> None:
    sku = await stocked(http, admin, on_hand=10)

    await http.patch(f"/v1/products/{sku}", json={"active": False}, headers=admin.auth)
    read = await http.get(f"/v1/products/{sku}", headers=customer.auth)
    ordered = await http.post("/v1/orders", json=order_body((sku, 1)), headers=customer.placing())

    assert read.status_code == 200 and read.json()["active"] is False
    assert ordered.status_code == 422
    assert ordered.json()["errors"][0]["pointer"] == "/items/0/sku"


async def test_adjustments_that_add_up_past_the_most_a_location_holds_are_a_conflict(
    http: httpx.AsyncClient, admin: Caller
) -> None:
    """Each delta is in range; their sum is not (the fuzzer found it as a 500)."""
    sku = await stocked(http, admin, on_hand=10)
    big = {"delta": 1_000_000_000, "reason": "delivery"}

    first = await http.post(f"/v1/inventory/{sku}/adjustments", json=big, headers=admin.auth)
    second = await http.post(f"/v1/inventory/{sku}/adjustments", json=big, headers=admin.auth)

    assert first.status_code == 409  # 10 + 10**9 is already past it
    assert second.status_code == 409
    assert second.json()["type"] == "/problems/stock-conflict"
    small = {"delta": 1_000_000_000 - 10, "reason": "delivery"}
    filled = await http.post(f"/v1/inventory/{sku}/adjustments", json=small, headers=admin.auth)
    assert (filled.status_code, filled.json()["on_hand"]) == (201, 1_000_000_000)


async def test_stock_is_set_adjusted_and_every_change_is_in_the_history(
    http: httpx.AsyncClient, admin: Caller, ops: Caller
) -> None:
    sku = await stocked(http, admin, on_hand=10)

    added = await http.post(
        f"/v1/inventory/{sku}/adjustments",
        json={"delta": 5, "reason": "delivery"},
        headers=admin.auth,
    )
    removed = await http.post(
        f"/v1/inventory/{sku}/adjustments",
        json={"delta": -3, "reason": "broken"},
        headers=admin.auth,
    )
    read = await http.get(f"/v1/inventory/{sku}", headers=ops.auth)
    history = (await http.get(f"/v1/inventory/{sku}/adjustments", headers=ops.auth)).json()

    assert (added.status_code, removed.status_code) == (201, 201)
    assert read.json() == {
        "sku": sku,
        "on_hand": 12,
        "reserved": 0,
        "available": 12,
        "locations": [{"location_id": "default", "on_hand": 12, "reserved": 0, "available": 12}],
    }
    assert [(a["delta"], a["reason"], a["on_hand_after"]) for a in history["data"]] == [
        (-3, "broken", 12),
        (5, "delivery", 15),
        (10, "stock count", 10),
    ]


async def test_on_hand_below_what_is_reserved_is_409(
    http: httpx.AsyncClient, admin: Caller, customer: Caller
) -> None:
    sku = await stocked(http, admin, on_hand=5, price=60_000)  # held for review: stays reserved
    order = (
        await http.post("/v1/orders", json=order_body((sku, 4)), headers=customer.placing())
    ).json()
    await wait_for_status(http, customer, order["id"], "awaiting_review")

    too_low = await http.put(f"/v1/inventory/{sku}", json={"on_hand": 3}, headers=admin.auth)
    too_many = await http.post(
        f"/v1/inventory/{sku}/adjustments", json={"delta": -2, "reason": "x"}, headers=admin.auth
    )
    exact = await http.put(f"/v1/inventory/{sku}", json={"on_hand": 4}, headers=admin.auth)

    assert (too_low.status_code, too_many.status_code) == (409, 409)
    assert too_low.json()["type"] == "/problems/stock-conflict"
    assert exact.json()["available"] == 0
    await http.post(f"/v1/orders/{order['id']}/cancel", headers=customer.auth)


async def test_adjustments_racing_reservations_lose_no_update(
    http: httpx.AsyncClient, admin: Caller, session_uow: Any
) -> None:
    sku = await stocked(http, admin, on_hand=100)
    customer_id, _ = await add_user(session_uow)
    stock = StockActivities(session_uow)
    address = Address("A", "1", "L", "N1", "GB")
    orders = [new_id("ord") for _ in range(20)]

    async def reserve(order_id: str) -> None:
        command = ReserveStock(
            order_id, customer_id, [LineRequest(sku, 2)], address, "USD", order_id, "f" * 64
        )
        assert (await ActivityEnvironment().run(stock.reserve_stock, command)).reserved

    async def adjust() -> None:
        response = await http.post(
            f"/v1/inventory/{sku}/adjustments",
            json={"delta": 1, "reason": "race"},
            headers=admin.auth,
        )
        assert response.status_code == 201

    await asyncio.gather(*(reserve(o) for o in orders), *(adjust() for _ in range(20)))
    await asyncio.gather(
        *(ActivityEnvironment().run(stock.release_stock, ReleaseStock(o)) for o in orders[:5])
    )

    final = (await http.get(f"/v1/inventory/{sku}", headers=admin.auth)).json()
    assert final["on_hand"] == 100 + 20
    assert final["reserved"] == 2 * 15
