"""POST/GET /v1/orders and friends, through httpx against the real stack."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from tests.api.conftest import Caller, order_body, wait_for_status
from tests.factories import add_product, stock_of

PROBLEM = "application/problem+json"


async def place(
    http: httpx.AsyncClient, caller: Caller, body: dict[str, Any], key: str | None = None
) -> httpx.Response:
    return await http.post("/v1/orders", json=body, headers=caller.placing(key))


async def assert_nothing_written(session_uow: Any, caller: Caller, key: str) -> None:
    """No claim on the key means no order id, so no order row and no workflow either."""
    async with session_uow() as uow:
        assert await uow.idempotency.live(caller.id, key) is None


# -- placing --------------------------------------------------------------------------------


async def test_placing_an_order_answers_201_with_its_location(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, price=1999, on_hand=10)

    response = await place(http, customer, order_body((sku, 2)))

    assert response.status_code == 201, response.text
    order = response.json()
    assert response.headers["Location"] == f"/v1/orders/{order['id']}"
    assert order["status"] in ("reserved", "authorized", "shipped", "delivered")
    assert order["total"] == {"amount": 3998, "currency": "USD"}
    assert order["items"][0]["line_total"] == {"amount": 3998, "currency": "USD"}
    assert "Idempotent-Replayed" not in response.headers


async def test_an_order_reaches_delivered_and_its_timeline_tells_the_story(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, on_hand=10)
    order = (await place(http, customer, order_body((sku, 1)))).json()

    delivered = await wait_for_status(http, customer, order["id"], "delivered")
    events = (await http.get(f"/v1/orders/{order['id']}/events", headers=customer.auth)).json()

    assert delivered["payment"]["status"] == "captured"
    assert delivered["shipment"]["status"] == "delivered"
    assert delivered["shipment"]["tracking_number"]
    assert [e["type"] for e in events] == [
        "order.placed",
        "inventory.reserved",
        "payment.authorized",
        "shipment.booked",  # its one parcel
        "shipment.created",  # every parcel booked: the order shipped
        "inventory.committed",
        "payment.captured",
        "shipment.in_transit",
        "shipment.delivered",
    ]
    assert [parcel["status"] for parcel in delivered["shipments"]] == ["delivered"]


async def test_the_same_key_and_body_replays_the_first_answer(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, on_hand=10)
    body = order_body((sku, 1))

    first = await place(http, customer, body, key="replay-me")
    again = await place(http, customer, body, key="replay-me")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert (await stock_of(session_uow, sku)).available == 9


async def test_the_same_key_with_another_body_is_422(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, on_hand=10)
    await place(http, customer, order_body((sku, 1)), key="one-use")

    response = await place(http, customer, order_body((sku, 2)), key="one-use")

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "/problems/idempotency-key-reused"


async def test_keys_are_scoped_to_the_caller(
    http: httpx.AsyncClient, customer: Caller, other_customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, on_hand=10)

    mine = await place(http, customer, order_body((sku, 1)), key="same-key")
    theirs = await place(http, other_customer, order_body((sku, 1)), key="same-key")

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


async def test_out_of_stock_is_409_with_the_skus_and_replays_the_same(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, on_hand=1)

    first = await place(http, customer, order_body((sku, 3)), key="too-many")
    again = await place(http, customer, order_body((sku, 3)), key="too-many")

    assert first.status_code == 409
    assert first.json()["type"] == "/problems/out-of-stock"
    assert first.json()["skus"] == [sku]
    assert again.status_code == 409 and again.headers["Idempotent-Replayed"] == "true"
    assert (await stock_of(session_uow, sku)).reserved == 0


async def test_fifty_simultaneous_orders_for_ten_units_reserve_exactly_ten(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, on_hand=10)

    responses = await asyncio.gather(
        *(place(http, customer, order_body((sku, 1))) for _ in range(50))
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 10, statuses
    assert statuses.count(409) == 40, statuses
    stock = await stock_of(session_uow, sku)
    assert stock.available >= 0 and stock.reserved + (10 - stock.on_hand) == 10


# -- bad input ------------------------------------------------------------------------------


async def test_a_missing_idempotency_key_is_400(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow)

    response = await http.post("/v1/orders", json=order_body((sku, 1)), headers=customer.auth)

    assert response.status_code == 400
    assert response.json()["type"] == "/problems/idempotency-key-missing"


async def test_invalid_orders_are_422_with_pointers_and_write_nothing(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow)
    inactive = await add_product(session_uow, active=False)
    cases = {
        "/items": order_body(),
        "/items/0/quantity": order_body((sku, 0)),
        "/items/1/quantity": order_body((sku, 1), (sku, 1_000_000)),
        "/items/0/sku": order_body(("NO-SUCH-SKU", 1)),
        "/items/1/sku": order_body((sku, 1), (inactive, 1)),
        "/shipping_address/country": {**order_body((sku, 1)), "shipping_address": {}},
    }
    for pointer, body in cases.items():
        key = f"bad-{pointer}"
        response = await place(http, customer, body, key=key)

        assert response.status_code == 422, (pointer, response.text)
        problem = response.json()
        assert problem["type"] == "/problems/validation"
        assert pointer in [error.get("pointer") for error in problem["errors"]], problem
        await assert_nothing_written(session_uow, customer, key)


async def test_malformed_json_is_400(http: httpx.AsyncClient, customer: Caller) -> None:
    response = await http.post(
        "/v1/orders",
        content=b'{"items": [',
        headers={**customer.placing(), "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "/problems/malformed-json"


async def test_an_oversized_body_is_413(http: httpx.AsyncClient, customer: Caller) -> None:
    body = json.dumps(order_body(("X" * 60, 1)) | {"padding": "x" * 100_000}).encode()

    response = await http.post(
        "/v1/orders",
        content=body,
        headers={**customer.placing(), "Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert response.json()["type"] == "/problems/payload-too-large"


async def test_a_customer_cannot_place_for_someone_else(
    http: httpx.AsyncClient, customer: Caller, other_customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow)

    response = await place(http, customer, order_body((sku, 1), customer_id=other_customer.id))

    assert response.status_code == 403


async def test_ops_can_place_an_order_for_a_customer(
    http: httpx.AsyncClient, ops: Caller, customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow)

    response = await place(http, ops, order_body((sku, 1), customer_id=customer.id))

    assert response.status_code == 201
    assert response.json()["customer_id"] == customer.id
    mine = await http.get(f"/v1/orders/{response.json()['id']}", headers=customer.auth)
    assert mine.status_code == 200


# -- reading ----------------------------------------------------------------------------------


async def test_another_customers_order_is_404_but_ops_see_it(
    http: httpx.AsyncClient,
    customer: Caller,
    other_customer: Caller,
    ops: Caller,
    session_uow: Any,
) -> None:
    sku = await add_product(session_uow)
    order_id = (await place(http, customer, order_body((sku, 1)))).json()["id"]

    hidden = await http.get(f"/v1/orders/{order_id}", headers=other_customer.auth)
    hidden_events = await http.get(f"/v1/orders/{order_id}/events", headers=other_customer.auth)
    seen = await http.get(f"/v1/orders/{order_id}", headers=ops.auth)

    assert (hidden.status_code, hidden_events.status_code, seen.status_code) == (404, 404, 200)
    assert hidden.json()["type"] == "/problems/not-found"


async def test_without_a_valid_key_the_answer_is_401_with_a_challenge(
    http: httpx.AsyncClient,
) -> None:
    missing = await http.get("/v1/orders/ord_x")
    wrong = await http.get("/v1/orders/ord_x", headers={"Authorization": "Bearer ok_nope"})

    for response in (missing, wrong):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.headers["content-type"] == PROBLEM


# -- cancel and review ------------------------------------------------------------------------


async def test_the_owner_cancels_an_order_in_review_and_stock_comes_back(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, price=60_000, on_hand=5)  # above the review threshold
    order = (await place(http, customer, order_body((sku, 1)))).json()
    await wait_for_status(http, customer, order["id"], "awaiting_review")

    response = await http.post(
        f"/v1/orders/{order['id']}/cancel",
        json={"reason": "changed my mind"},
        headers=customer.auth,
    )
    again = await http.post(f"/v1/orders/{order['id']}/cancel", headers=customer.auth)

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert response.json()["decision"] == {
        "action": "cancel",
        "by": customer.id,
        "note": "changed my mind",
    }
    assert response.json()["in_background"] is False
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    assert (await stock_of(session_uow, sku)).reserved == 0
    events = (await http.get(f"/v1/orders/{order['id']}/events", headers=customer.auth)).json()
    assert [e["type"] for e in events][-2:] == ["compensation.stock_released", "order.cancelled"]


async def test_a_delivered_order_is_not_cancellable(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow)
    order = (await place(http, customer, order_body((sku, 1)))).json()
    await wait_for_status(http, customer, order["id"], "delivered")

    response = await http.post(f"/v1/orders/{order['id']}/cancel", headers=customer.auth)

    assert response.status_code == 409
    assert response.json()["type"] == "/problems/not-cancellable"


async def test_ops_approve_a_held_order_and_it_goes_on(
    http: httpx.AsyncClient, customer: Caller, ops: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, price=60_000, on_hand=5)
    order = (await place(http, customer, order_body((sku, 1)))).json()
    await wait_for_status(http, customer, order["id"], "awaiting_review")

    by_customer = await http.post(
        f"/v1/orders/{order['id']}/review", json={"decision": "approve"}, headers=customer.auth
    )
    by_ops = await http.post(
        f"/v1/orders/{order['id']}/review",
        json={"decision": "approve", "note": "known customer"},
        headers=ops.auth,
    )
    twice = await http.post(
        f"/v1/orders/{order['id']}/review", json={"decision": "reject"}, headers=ops.auth
    )

    assert by_customer.status_code == 403
    assert by_ops.status_code == 200, by_ops.text
    assert by_ops.json()["decision"] == {
        "action": "approve",
        "by": ops.id,
        "note": "known customer",
    }
    assert by_ops.json()["in_background"] is True  # payment and shipping follow
    assert "payment" in by_ops.json()["next"]
    assert twice.status_code == 409
    assert twice.json()["type"] == "/problems/not-awaiting-review"
    await wait_for_status(http, customer, order["id"], "delivered")


async def test_ops_reject_a_held_order_and_it_fails(
    http: httpx.AsyncClient, customer: Caller, ops: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, price=60_000, on_hand=5)
    order = (await place(http, customer, order_body((sku, 1)))).json()
    await wait_for_status(http, customer, order["id"], "awaiting_review")

    response = await http.post(
        f"/v1/orders/{order['id']}/review", json={"decision": "reject"}, headers=ops.auth
    )
    failed = await wait_for_status(http, customer, order["id"], "failed")

    assert response.status_code == 200
    assert response.json()["decision"]["action"] == "reject"
    # Either the release has finished (failed now) or it goes on, and the body says which.
    answered = response.json()
    assert answered["in_background"] is (answered["status"] != "failed")
    assert "review_rejected" in answered["next"]
    assert failed["failure_reason"] == "review_rejected"
    assert (await stock_of(session_uow, sku)).reserved == 0
