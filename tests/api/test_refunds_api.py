"""POST/GET /v1/orders/{id}/refunds: one ledger for every refund, never more than was
captured, one provider refund per key, and clear refusals."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from cli.admin.check import run_check
from infra.settings import Settings
from tests.api.conftest import Caller, order_body, wait_for_status
from tests.factories import add_product
from tests.polling import eventually


async def delivered_order(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any, price: int
) -> str:
    sku = await add_product(session_uow, price=price, on_hand=5)
    placed = await http.post("/v1/orders", json=order_body((sku, 2)), headers=customer.placing())
    assert placed.status_code == 201, placed.text
    order_id = str(placed.json()["id"])
    await wait_for_status(http, customer, order_id, "delivered")
    return order_id


async def refund(
    http: httpx.AsyncClient,
    caller: Caller,
    order_id: str,
    amount: int,
    key: str | None = None,
    currency: str = "USD",
) -> httpx.Response:
    return await http.post(
        f"/v1/orders/{order_id}/refunds",
        json={"amount": {"amount": amount, "currency": currency}, "reason": "goodwill"},
        headers={**caller.auth, "Idempotency-Key": key or uuid.uuid4().hex},
    )


async def refunded(http: httpx.AsyncClient, caller: Caller, order_id: str) -> dict[str, Any]:
    """The order once none of its refunds is pending."""

    async def settled() -> dict[str, Any]:
        listed = (await http.get(f"/v1/orders/{order_id}/refunds", headers=caller.auth)).json()
        if any(r["status"] == "pending" for r in listed):
            return {}
        body: dict[str, Any] = (
            await http.get(f"/v1/orders/{order_id}", headers=caller.auth)
        ).json()
        return body

    return await eventually(settled, timeout=60)


async def test_refunds_add_up_to_at_most_what_was_captured(
    http: httpx.AsyncClient, customer: Caller, ops: Caller, session_uow: Any, settings: Settings
) -> None:
    order_id = await delivered_order(http, customer, session_uow, price=1_000)  # 2 000 taken

    first = await refund(http, ops, order_id, 1_500)
    partly = await refunded(http, customer, order_id)
    too_much = await refund(http, ops, order_id, 600)
    rest = await refund(http, ops, order_id, 500)
    wholly = await refunded(http, customer, order_id)
    listed = (await http.get(f"/v1/orders/{order_id}/refunds", headers=customer.auth)).json()

    assert first.status_code == 201, first.text
    assert first.headers["Location"] == f"/v1/orders/{order_id}/refunds"
    assert first.json()["amount"] == {"amount": 1_500, "currency": "USD"}
    assert partly["refunded_total"]["amount"] == 1_500
    assert partly["payment"]["status"] == "partially_refunded"
    assert too_much.status_code == 409, too_much.text
    assert too_much.json()["type"].endswith("/problems/refund-exceeds-captured")
    assert too_much.json()["left"] == 500
    assert rest.status_code == 201
    assert wholly["refunded_total"]["amount"] == 2_000
    assert wholly["payment"]["status"] == "refunded"
    assert [(r["amount"]["amount"], r["status"]) for r in listed] == [
        (1_500, "succeeded"),
        (500, "succeeded"),
    ]
    assert all(r["provider_refund_id"] for r in listed)
    timeline = (await http.get(f"/v1/orders/{order_id}/events", headers=customer.auth)).json()
    kinds = [entry["type"] for entry in timeline]
    assert kinds.count("refund.requested") == 2 and kinds.count("refund.succeeded") == 2
    assert await run_check(settings, [order_id], grace=0) == 0


async def test_the_same_key_is_one_refund_and_another_body_with_it_is_refused(
    http: httpx.AsyncClient, customer: Caller, ops: Caller, session_uow: Any
) -> None:
    order_id = await delivered_order(http, customer, session_uow, price=1_000)
    key = uuid.uuid4().hex

    first = await refund(http, ops, order_id, 300, key)
    again = await refund(http, ops, order_id, 300, key)
    other = await refund(http, ops, order_id, 400, key)
    order = await refunded(http, customer, order_id)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert order["refunded_total"]["amount"] == 300  # refunded once


async def test_refunds_are_refused_with_a_clear_answer(
    http: httpx.AsyncClient, customer: Caller, ops: Caller, session_uow: Any
) -> None:
    order_id = await delivered_order(http, customer, session_uow, price=1_000)
    sku = await add_product(session_uow, price=60_000, on_hand=5)  # held for review
    held = await http.post("/v1/orders", json=order_body((sku, 1)), headers=customer.placing())
    await wait_for_status(http, customer, held.json()["id"], "awaiting_review")

    by_customer = await refund(http, customer, order_id, 100)
    nothing_taken = await refund(http, ops, held.json()["id"], 100)
    other_money = await refund(http, ops, order_id, 100, currency="EUR")
    no_key = await http.post(
        f"/v1/orders/{order_id}/refunds",
        json={"amount": {"amount": 100, "currency": "USD"}, "reason": "goodwill"},
        headers=ops.auth,
    )
    unknown = await refund(http, ops, "ord_nosuchorder", 100)

    assert by_customer.status_code == 403
    assert nothing_taken.status_code == 409 and nothing_taken.json()["left"] == 0
    assert other_money.status_code == 422
    assert no_key.status_code == 400
    assert unknown.status_code == 404
    await http.post(f"/v1/orders/{held.json()['id']}/cancel", headers=customer.auth)
