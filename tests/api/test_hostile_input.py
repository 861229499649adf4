"""Input built to break things gets a problem of the right type, never a 500, and
writes nothing: no order, no claim on the key, no stock held."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.api.conftest import Caller, order_body
from tests.factories import add_product, stock_of

PROBLEM = "application/problem+json"


async def post_raw(
    http: httpx.AsyncClient, caller: Caller, body: bytes, key: str
) -> httpx.Response:
    return await http.post(
        "/v1/orders",
        content=body,
        headers={**caller.placing(key), "Content-Type": "application/json"},
    )


async def nothing_written(session_uow: Any, caller: Caller, key: str, sku: str) -> None:
    async with session_uow() as uow:
        assert await uow.idempotency.live(caller.id, key) is None
    assert (await stock_of(session_uow, sku)).reserved == 0


@pytest.mark.parametrize(
    ("name", "expected_status", "expected_type"),
    [
        ("deeply nested arrays", 400, "/problems/malformed-json"),
        ("deeply nested objects", 400, "/problems/malformed-json"),
        ("a quantity past 64 bits", 422, "/problems/validation"),
        ("a float quantity", 422, "/problems/validation"),
        ("an exponent quantity", 422, "/problems/validation"),
        ("ten thousand items", 413, "/problems/payload-too-large"),
        ("101 items", 422, "/problems/validation"),
        ("a NUL in the name", 422, "/problems/validation"),
        ("a lone surrogate in the city", 422, "/problems/validation"),
        ("SQL in the sku", 422, "/problems/validation"),
        ("SQL in the customer id", 422, "/problems/validation"),
        ("the body is a bare string", 422, "/problems/validation"),
        ("invalid UTF-8", 400, "/problems/malformed-json"),
        ("a duplicate key", 422, "/problems/validation"),
    ],
)
async def test_hostile_bodies_get_the_right_problem_and_write_nothing(
    http: httpx.AsyncClient,
    customer: Caller,
    ops: Caller,
    session_uow: Any,
    name: str,
    expected_status: int,
    expected_type: str,
) -> None:
    sku = await add_product(session_uow, on_hand=5)
    good = order_body((sku, 1))
    line = {"sku": sku, "quantity": 1}
    bodies: dict[str, bytes] = {
        "deeply nested arrays": b'{"items": ' + b"[" * 20_000 + b"]" * 20_000 + b"}",
        "deeply nested objects": b'{"items": ' + b'{"a":' * 6_000 + b"1" + b"}" * 6_001,
        "a quantity past 64 bits": json.dumps(
            {**good, "items": [{"sku": sku, "quantity": 2**70}]}
        ).encode(),
        "a float quantity": json.dumps({**good, "items": [{"sku": sku, "quantity": 1.5}]}).encode(),
        "an exponent quantity": json.dumps(good)
        .replace('"quantity": 1', '"quantity": 1e400')
        .encode(),
        "ten thousand items": json.dumps({**good, "items": [line] * 10_000}).encode(),
        "101 items": json.dumps({**good, "items": [line] * 101}).encode(),
        "a NUL in the name": json.dumps(
            {**good, "shipping_address": {**good["shipping_address"], "name": "Ada\u0000"}}
        ).encode(),
        "a lone surrogate in the city": json.dumps(good)
        .replace('"London"', '"Lon\\ud800don"')
        .encode(),
        "SQL in the sku": json.dumps(
            {**good, "items": [{"sku": "X'; DROP TABLE orders;--", "quantity": 1}]}
        ).encode(),
        "SQL in the customer id": json.dumps({**good, "customer_id": "usr_' OR '1'='1"}).encode(),
        "the body is a bare string": b'"an order"',
        "invalid UTF-8": b'{"items": "\xff\xfe"}',
        "a duplicate key": json.dumps(good)[:-1].encode() + b', "payment": {"token": 7}}',
    }
    caller = ops if name == "SQL in the customer id" else customer
    key = f"hostile-{uuid.uuid4().hex}"

    response = await post_raw(http, caller, bodies[name], key)

    assert (response.status_code, response.headers["content-type"]) == (
        expected_status,
        PROBLEM,
    ), response.text[:500]
    assert response.json()["type"] == expected_type
    await nothing_written(session_uow, caller, key, sku)


async def test_unicode_in_every_string_is_kept_as_sent(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, on_hand=5)
    address = {
        "name": "Zoë 山田 \u202eʇxǝʇ\u202c 👩‍👩‍👧",
        "line1": "Straße 1 — ☃",
        "line2": "שדרות רוטשילד",
        "city": "Zürich",
        "postal_code": "8001",
        "country": "CH",
    }

    placed = await http.post(
        "/v1/orders",
        json={**order_body((sku, 1)), "shipping_address": address},
        headers=customer.placing(),
    )
    shown = await http.get(f"/v1/orders/{placed.json()['id']}", headers=customer.auth)

    assert placed.status_code == 201, placed.text
    assert shown.json()["shipping_address"] == address


async def test_the_same_sku_on_two_lines_reserves_their_sum(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, price=1_000, on_hand=5)

    too_many = await http.post(
        "/v1/orders", json=order_body((sku, 3), (sku, 3)), headers=customer.placing()
    )
    enough = await http.post(
        "/v1/orders", json=order_body((sku, 2), (sku, 3)), headers=customer.placing()
    )

    assert too_many.status_code == 409
    assert too_many.json()["type"] == "/problems/out-of-stock"
    assert enough.status_code == 201, enough.text
    assert enough.json()["total"]["amount"] == 5_000
    stock = await stock_of(session_uow, sku)
    assert stock.on_hand - stock.reserved in (0, 5)  # held, or already shipped


async def test_another_customers_order_cannot_be_read_cancelled_or_reviewed(
    http: httpx.AsyncClient, customer: Caller, other_customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, on_hand=5)
    order_id = (
        await http.post("/v1/orders", json=order_body((sku, 1)), headers=customer.placing())
    ).json()["id"]

    read = await http.get(f"/v1/orders/{order_id}", headers=other_customer.auth)
    events = await http.get(f"/v1/orders/{order_id}/events", headers=other_customer.auth)
    cancel = await http.post(f"/v1/orders/{order_id}/cancel", headers=other_customer.auth)
    review = await http.post(
        f"/v1/orders/{order_id}/review", json={"decision": "approve"}, headers=other_customer.auth
    )
    sneaky = await http.get(
        "/v1/orders", params={"customer_id": customer.id}, headers=other_customer.auth
    )

    assert [r.status_code for r in (read, events, cancel)] == [404, 404, 404]
    assert review.status_code == 403
    assert order_id not in json.dumps(sneaky.json())


async def test_a_last_event_id_past_any_entry_id_is_refused_before_the_stream_starts(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any
) -> None:
    """Found by fuzzing: 2**63 passed validation and broke the stream mid-way."""
    sku = await add_product(session_uow, on_hand=2)
    order = (
        await http.post("/v1/orders", json=order_body((sku, 1)), headers=customer.placing())
    ).json()

    answer = await http.get(
        f"/v1/orders/{order['id']}/events/stream",
        headers={**customer.auth, "Last-Event-ID": str(2**63)},
    )

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["parameter"] == "Last-Event-ID"
