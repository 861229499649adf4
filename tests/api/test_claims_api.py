"""Claims through the API, on the real stack: a refund claim pays the units' value back
through the refunds ledger; a replacement ships the units again as a parcel of the
order at no charge and closes on the carrier's delivery; claimed units count with
returned ones."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from cli.admin.check import run_check
from infra.settings import Settings
from tests.api.conftest import Caller
from tests.api.test_returns_api import ask, delivered
from tests.factories import add_product, stock_at
from tests.polling import eventually


async def claim(
    http: httpx.AsyncClient, caller: Caller, order_id: str, kind: str, *lines: tuple[str, int]
) -> httpx.Response:
    items = [{"sku": sku, "quantity": n, "reason": "damaged"} for sku, n in lines]
    return await http.post(
        f"/v1/orders/{order_id}/claims",
        json={"type": kind, "items": items},
        headers={**caller.auth, "Idempotency-Key": uuid.uuid4().hex},
    )


async def claim_reaching(
    http: httpx.AsyncClient, caller: Caller, order_id: str, status: str
) -> dict[str, Any]:
    async def reached() -> dict[str, Any]:
        listed = (await http.get(f"/v1/orders/{order_id}/claims", headers=caller.auth)).json()
        return listed[-1] if listed and listed[-1]["status"] == status else {}

    return await eventually(reached, timeout=90)


async def test_a_refund_claim_pays_the_units_back_and_they_cannot_come_back_too(
    http: httpx.AsyncClient, customer: Caller, ops: Caller, session_uow: Any, settings: Settings
) -> None:
    sku = await add_product(session_uow, price=1_000, on_hand=5)
    order_id = await delivered(http, customer, session_uow, (sku, 2))

    opened = await claim(http, ops, order_id, "refund", (sku, 1))
    refunded = await claim_reaching(http, customer, order_id, "refunded")
    too_many = await ask(http, customer, order_id, (sku, 2))
    the_other = await ask(http, customer, order_id, (sku, 1))
    nothing_left = await claim(http, ops, order_id, "refund", (sku, 1))
    refunds = (await http.get(f"/v1/orders/{order_id}/refunds", headers=ops.auth)).json()

    assert opened.status_code == 201, opened.text
    assert opened.json()["type"] == "refund" and opened.json()["status"] == "open"
    assert refunded["refund_id"] == opened.json()["refund_id"]
    assert [(r["reason"], r["amount"]["amount"], r["status"]) for r in refunds] == [
        ("claim", 1_000, "succeeded")
    ]
    assert too_many.status_code == 422
    assert the_other.status_code == 201
    assert nothing_left.status_code == 409
    assert nothing_left.json()["items"] == [{"sku": sku, "reason": "already_returned"}]
    assert await run_check(settings, [order_id], grace=0) == 0


async def test_a_replacement_ships_at_no_charge_as_a_parcel_of_the_order(
    http: httpx.AsyncClient, customer: Caller, ops: Caller, session_uow: Any, settings: Settings
) -> None:
    sku = await add_product(session_uow, price=1_500, on_hand=3)
    order_id = await delivered(http, customer, session_uow, (sku, 1))
    before = await stock_at(session_uow, sku)

    opened = await claim(http, ops, order_id, "replace", (sku, 1))
    closed = await claim_reaching(http, customer, order_id, "closed")
    order = (await http.get(f"/v1/orders/{order_id}", headers=customer.auth)).json()
    timeline = (await http.get(f"/v1/orders/{order_id}/events", headers=customer.auth)).json()

    assert opened.status_code == 201, opened.text
    assert closed["shipment_id"] == f"{order_id}-2"
    assert order["status"] == "delivered"
    assert order["refunded_total"]["amount"] == 0
    kinds = [entry["type"] for entry in timeline]
    assert [k for k in kinds if k.startswith("claim.")] == [
        "claim.opened",
        "claim.shipped",
        "claim.closed",
    ]
    (place,) = before
    assert (await stock_at(session_uow, sku))[place] == (before[place][0] - 1, 0)
    assert await run_check(settings, [order_id], grace=0) == 0


async def test_claims_are_refused_with_a_clear_answer(
    http: httpx.AsyncClient, customer: Caller, ops: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, price=1_000, on_hand=1)
    other = await add_product(session_uow, price=1_000, on_hand=5)
    order_id = await delivered(http, customer, session_uow, (sku, 1))

    by_customer = await claim(http, customer, order_id, "refund", (sku, 1))
    not_delivered = await claim(http, ops, order_id, "refund", (other, 1))
    no_stock = await claim(http, ops, order_id, "replace", (sku, 1))  # the last unit left
    no_key = await http.post(
        f"/v1/orders/{order_id}/claims",
        json={"type": "refund", "items": [{"sku": sku, "quantity": 1, "reason": "damaged"}]},
        headers=ops.auth,
    )
    unknown = await claim(http, ops, "ord_nosuchorder", "refund", (sku, 1))

    assert by_customer.status_code == 403
    assert not_delivered.status_code == 409
    assert not_delivered.json()["items"] == [{"sku": other, "reason": "not_delivered"}]
    assert no_stock.status_code == 409 and no_stock.json()["type"].endswith("/out-of-stock")
    assert no_key.status_code == 400
    assert unknown.status_code == 404
