"""POST /v1/orders/{id}/edits: the contract. All or nothing, a dry run that changes
nothing, the same key replaying its answer, and clear refusals."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from cli.admin.check import run_check
from infra.settings import Settings
from tests.api.conftest import Caller, order_body, wait_for_status
from tests.factories import add_product, stock_of

EXPENSIVE = 60_000  # above the review threshold: the order waits for a review


async def held_order(http: httpx.AsyncClient, customer: Caller, *lines: tuple[str, int]) -> str:
    placed = await http.post("/v1/orders", json=order_body(*lines), headers=customer.placing())
    assert placed.status_code == 201, placed.text
    order_id = str(placed.json()["id"])
    await wait_for_status(http, customer, order_id, "awaiting_review")
    return order_id


async def edit(
    http: httpx.AsyncClient,
    caller: Caller,
    order_id: str,
    body: dict[str, Any],
    key: str | None = None,
    dry_run: bool = False,
) -> httpx.Response:
    headers = {**caller.auth, "Idempotency-Key": key or uuid.uuid4().hex}
    params = {"dry_run": "true"} if dry_run else {}
    return await http.post(
        f"/v1/orders/{order_id}/edits", json=body, headers=headers, params=params
    )


async def test_an_edit_takes_the_new_lines_and_answers_with_the_difference(
    http: httpx.AsyncClient, customer: Caller, ops: Caller, session_uow: Any, settings: Settings
) -> None:
    sku = await add_product(session_uow, price=EXPENSIVE, on_hand=5)
    order_id = await held_order(http, customer, (sku, 2))

    dry = await edit(
        http, customer, order_id, {"items": [{"sku": sku, "quantity": 3}]}, dry_run=True
    )
    unchanged = (await http.get(f"/v1/orders/{order_id}", headers=customer.auth)).json()
    done = await edit(http, customer, order_id, {"items": [{"sku": sku, "quantity": 3}]})

    assert dry.status_code == 200, dry.text
    assert dry.json()["dry_run"] and dry.json()["difference"]["amount"] == EXPENSIVE
    assert dry.json()["order"]["total"]["amount"] == 3 * EXPENSIVE
    assert unchanged["total"]["amount"] == 2 * EXPENSIVE
    assert done.status_code == 200, done.text
    assert done.json()["difference"] == {"amount": EXPENSIVE, "currency": "USD"}
    assert [i["quantity"] for i in done.json()["order"]["items"]] == [3]
    assert (await stock_of(session_uow, sku)).reserved == 3
    timeline = (await http.get(f"/v1/orders/{order_id}/events", headers=customer.auth)).json()
    (edited,) = [e for e in timeline if e["type"] == "order.edited"]
    assert [line["quantity"] for line in edited["data"]["before"]] == [2]
    assert [line["quantity"] for line in edited["data"]["after"]] == [3]
    assert edited["data"]["difference"] == EXPENSIVE

    approved = await http.post(
        f"/v1/orders/{order_id}/review", json={"decision": "approve"}, headers=ops.auth
    )
    assert approved.status_code == 200, approved.text
    delivered = await wait_for_status(http, customer, order_id, "delivered")
    assert delivered["total"]["amount"] == 3 * EXPENSIVE
    assert await run_check(settings, [order_id], grace=0) == 0


async def test_the_same_key_replays_the_edit_and_another_body_with_it_is_refused(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, price=EXPENSIVE, on_hand=5)
    order_id = await held_order(http, customer, (sku, 1))
    key = uuid.uuid4().hex

    first = await edit(http, customer, order_id, {"items": [{"sku": sku, "quantity": 2}]}, key)
    again = await edit(http, customer, order_id, {"items": [{"sku": sku, "quantity": 2}]}, key)
    other = await edit(http, customer, order_id, {"items": [{"sku": sku, "quantity": 4}]}, key)

    assert (first.status_code, again.status_code) == (200, 200), again.text
    assert again.json()["difference"] == first.json()["difference"]
    assert (await stock_of(session_uow, sku)).reserved == 2  # held once
    assert other.status_code == 422
    assert other.json()["type"].endswith("/problems/idempotency-key-reused")
    await http.post(f"/v1/orders/{order_id}/cancel", headers=customer.auth)


async def test_edits_are_refused_with_a_clear_answer(
    http: httpx.AsyncClient,
    customer: Caller,
    other_customer: Caller,
    session_uow: Any,
) -> None:
    sku = await add_product(session_uow, price=EXPENSIVE, on_hand=3)
    cheap = await add_product(session_uow, price=500, on_hand=3)
    order_id = await held_order(http, customer, (sku, 1))
    shipped = await http.post("/v1/orders", json=order_body((cheap, 1)), headers=customer.placing())
    await wait_for_status(http, customer, shipped.json()["id"], "delivered")
    items = {"items": [{"sku": sku, "quantity": 2}]}

    no_key = await http.post(f"/v1/orders/{order_id}/edits", json=items, headers=customer.auth)
    empty = await edit(http, customer, order_id, {})
    short = await edit(http, customer, order_id, {"items": [{"sku": sku, "quantity": 9}]})
    unknown = await edit(http, customer, order_id, {"items": [{"sku": "NO-SUCH", "quantity": 1}]})
    not_theirs = await edit(http, other_customer, order_id, items)
    too_late = await edit(http, customer, shipped.json()["id"], items)

    assert no_key.status_code == 400
    assert empty.status_code == 422
    assert short.status_code == 409 and short.json()["skus"] == [sku], short.text
    assert unknown.status_code == 422, unknown.text
    assert not_theirs.status_code == 404
    assert too_late.status_code == 409, too_late.text
    assert too_late.json()["type"].endswith("/problems/not-editable")
    for refused in (no_key, empty, short, unknown, not_theirs, too_late):
        assert refused.headers["content-type"] == "application/problem+json"
    assert (await stock_of(session_uow, sku)).reserved == 1  # nothing changed
    await http.post(f"/v1/orders/{order_id}/cancel", headers=customer.auth)


async def test_an_edit_that_lowers_the_total_answers_a_difference_below_zero(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, price=EXPENSIVE, on_hand=5)
    order_id = await held_order(http, customer, (sku, 3))

    lowered = await edit(http, customer, order_id, {"items": [{"sku": sku, "quantity": 1}]})

    assert lowered.status_code == 200, lowered.text
    assert lowered.json()["difference"] == {"amount": -2 * EXPENSIVE, "currency": "USD"}
    assert (await stock_of(session_uow, sku)).reserved == 1  # two went back
    await http.post(f"/v1/orders/{order_id}/cancel", headers=customer.auth)
