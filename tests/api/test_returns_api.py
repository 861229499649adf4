"""Returns through the API, against the real stack: the carrier issues the label and
reports the parcel by webhook, the warehouse's receipt restocks or writes off, and
the refund of what came back goes through the refunds ledger to the provider."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from temporalio.client import Client

from cli.admin.check import run_check
from infra.settings import Settings
from tests.api.conftest import Caller, api_client, order_body, wait_for_status
from tests.api.test_webhooks_api import signed
from tests.factories import add_product, stock_at
from tests.polling import eventually
from tests.stack import Stack


async def delivered(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any, *lines: tuple[str, int]
) -> str:
    placed = await http.post("/v1/orders", json=order_body(*lines), headers=customer.placing())
    assert placed.status_code == 201, placed.text
    order_id = str(placed.json()["id"])
    await wait_for_status(http, customer, order_id, "delivered")
    return order_id


async def ask(
    http: httpx.AsyncClient,
    caller: Caller,
    order_id: str,
    *lines: tuple[str, int],
    key: str | None = None,
    **extra: Any,
) -> httpx.Response:
    items = [{"sku": sku, "quantity": n, "reason": "no_longer_needed"} for sku, n in lines]
    return await http.post(
        f"/v1/orders/{order_id}/returns",
        json={"items": items, **extra},
        headers={**caller.auth, "Idempotency-Key": key or uuid.uuid4().hex},
    )


async def return_reaching(
    http: httpx.AsyncClient, caller: Caller, return_id: str, *statuses: str
) -> dict[str, Any]:
    async def reached() -> dict[str, Any]:
        body: dict[str, Any] = (
            await http.get(f"/v1/returns/{return_id}", headers=caller.auth)
        ).json()
        return body if body["status"] in statuses else {}

    return await eventually(reached, timeout=90)


async def in_transit(http: httpx.AsyncClient, caller: Caller, return_id: str) -> dict[str, Any]:
    """The return once the carrier has its parcel: labelled, then reported by webhook."""
    return await return_reaching(http, caller, return_id, "in_transit")


async def test_a_return_is_labelled_tracked_received_restocked_and_refunded(
    http: httpx.AsyncClient,
    customer: Caller,
    ops: Caller,
    session_uow: Any,
    settings: Settings,
    client: Client,
) -> None:
    sku = await add_product(session_uow, price=1_000, on_hand=5)
    order_id = await delivered(http, customer, session_uow, (sku, 2))
    before = await stock_at(session_uow, sku)

    asked = await ask(http, customer, order_id, (sku, 1))
    assert asked.status_code == 201, asked.text
    return_id = asked.json()["id"]
    travelling = await in_transit(http, customer, return_id)
    received = await http.post(
        f"/v1/returns/{return_id}/receive",
        json={"items": [{"sku": sku, "restock": 1}]},
        headers=ops.auth,
    )
    closed = await return_reaching(http, customer, return_id, "closed")
    order = (await http.get(f"/v1/orders/{order_id}", headers=customer.auth)).json()
    timeline = (await http.get(f"/v1/orders/{order_id}/events", headers=customer.auth)).json()
    refunds = (await http.get(f"/v1/orders/{order_id}/refunds", headers=customer.auth)).json()

    assert asked.headers["Location"] == f"/v1/returns/{return_id}"
    assert asked.json()["status"] in ("requested", "approved")
    assert travelling["label"]["tracking_number"]
    assert received.status_code == 200, received.text
    assert received.json()["items"][0]["received"] == {"restock": 1, "damaged": 0, "missing": 0}
    assert closed["refund"]["amount"] == {"amount": 1_000, "currency": "USD"}
    assert closed["refund"]["status"] == "succeeded"
    assert order["refunded_total"]["amount"] == 1_000
    assert order["payment"]["status"] == "partially_refunded"
    assert [(r["reason"], r["amount"]["amount"], r["status"]) for r in refunds] == [
        ("return", 1_000, "succeeded")
    ]
    kinds = [entry["type"] for entry in timeline]
    for step in (
        "return.requested",
        "return.approved",
        "return.label_issued",
        "return.in_transit",
        "return.received",
        "return.closed",
    ):
        assert kinds.count(step) == 1, (step, kinds)
    (place,) = before
    assert (await stock_at(session_uow, sku))[place][0] == before[place][0] + 1
    assert await run_check(settings, [order_id], grace=0) == 0

    async def found_in_temporal() -> bool:  # by the order, in the Temporal UI
        query = f'OrderId = "{order_id}"'
        return f"return-{return_id}" in {w.id async for w in client.list_workflows(query)}

    await eventually(found_in_temporal, timeout=60)


async def test_damaged_units_are_written_off_and_missing_ones_not_refunded(
    http: httpx.AsyncClient, customer: Caller, ops: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, price=700, on_hand=5)
    order_id = await delivered(http, customer, session_uow, (sku, 3))
    before = await stock_at(session_uow, sku)
    return_id = (await ask(http, customer, order_id, (sku, 3))).json()["id"]
    await in_transit(http, customer, return_id)

    wrong_count = await http.post(
        f"/v1/returns/{return_id}/receive",
        json={"items": [{"sku": sku, "restock": 1}]},
        headers=ops.auth,
    )
    by_customer = await http.post(
        f"/v1/returns/{return_id}/receive",
        json={"items": [{"sku": sku, "restock": 1, "damaged": 1, "missing": 1}]},
        headers=customer.auth,
    )
    received = await http.post(
        f"/v1/returns/{return_id}/receive",
        json={"items": [{"sku": sku, "restock": 1, "damaged": 1, "missing": 1}]},
        headers=ops.auth,
    )
    twice = await http.post(
        f"/v1/returns/{return_id}/receive",
        json={"items": [{"sku": sku, "restock": 3}]},
        headers=ops.auth,
    )
    closed = await return_reaching(http, customer, return_id, "closed")
    history = (await http.get(f"/v1/inventory/{sku}/adjustments", headers=ops.auth)).json()

    assert wrong_count.status_code == 422, wrong_count.text
    assert by_customer.status_code == 403
    assert received.status_code == 200, received.text
    assert twice.status_code == 409 and twice.json()["type"].endswith("/return-conflict")
    assert closed["refund"]["amount"]["amount"] == 1_400  # restocked and damaged, not missing
    (place,) = before
    assert (await stock_at(session_uow, sku))[place][0] == before[place][0] + 1
    reasons = [entry["reason"] for entry in history["data"]]
    assert f"return {return_id}: written off" in reasons
    assert f"return {return_id}: restocked" in reasons


async def test_what_cannot_come_back_is_refused_per_sku(
    http: httpx.AsyncClient, customer: Caller, other_customer: Caller, session_uow: Any
) -> None:
    kept = await add_product(session_uow, price=500, on_hand=5)
    final = await add_product(session_uow, price=500, on_hand=5)
    brief = await add_product(session_uow, price=500, on_hand=5)
    never = await add_product(session_uow, price=500, on_hand=5)
    async with session_uow() as uow:
        await uow.products.change(final, {"returnable": False})
        await uow.products.change(brief, {"return_window_days": 0})
        await uow.commit()
    order_id = await delivered(http, customer, session_uow, (kept, 2), (final, 1), (brief, 1))

    refused = await ask(http, customer, order_id, (final, 1), (brief, 1), (never, 1), (kept, 1))
    too_many = await ask(http, customer, order_id, (kept, 3))
    first = await ask(http, customer, order_id, (kept, 2))
    again = await ask(http, customer, order_id, (kept, 1))
    not_theirs = await ask(http, other_customer, order_id, (kept, 1))

    assert refused.status_code == 409, refused.text
    assert refused.json()["type"].endswith("/not-returnable")
    assert sorted((i["sku"], i["reason"]) for i in refused.json()["items"]) == sorted(
        [(final, "final_sale"), (brief, "window_expired"), (never, "not_delivered")]
    )
    assert too_many.status_code == 422
    assert first.status_code == 201
    assert again.status_code == 409
    assert again.json()["items"] == [{"sku": kept, "reason": "already_returned"}]
    assert not_theirs.status_code == 404


async def test_a_return_above_the_threshold_waits_for_a_review(
    customer: Caller, ops: Caller, session_uow: Any, settings: Settings, http: httpx.AsyncClient
) -> None:
    sku = await add_product(session_uow, price=2_000, on_hand=5)
    order_id = await delivered(http, customer, session_uow, (sku, 2))
    strict = settings.model_copy(update={"return_review_threshold": 1_000})
    async with api_client(strict) as api:
        held = await ask(api, customer, order_id, (sku, 1))
        rejected_id = held.json()["id"]
        by_customer = await api.post(
            f"/v1/returns/{rejected_id}/review", json={"decision": "approve"}, headers=customer.auth
        )
        rejected = await api.post(
            f"/v1/returns/{rejected_id}/review",
            json={"decision": "reject", "note": "worn"},
            headers=ops.auth,
        )
        twice = await api.post(
            f"/v1/returns/{rejected_id}/review", json={"decision": "approve"}, headers=ops.auth
        )
        # A rejected return holds no units: they can be asked for again.
        second = await ask(api, customer, order_id, (sku, 1))
        approved = await api.post(
            f"/v1/returns/{second.json()['id']}/review",
            json={"decision": "approve"},
            headers=ops.auth,
        )
        labelled = await in_transit(api, customer, second.json()["id"])

    assert held.status_code == 201 and held.json()["status"] == "awaiting_review"
    assert by_customer.status_code == 403
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert twice.status_code == 409
    assert second.json()["status"] == "awaiting_review"
    assert approved.status_code == 200, approved.text
    assert labelled["label"]["carrier"]


async def test_the_customer_cancels_before_shipping_and_the_units_are_free_again(
    http: httpx.AsyncClient, customer: Caller, ops: Caller, session_uow: Any, settings: Settings
) -> None:
    sku = await add_product(session_uow, price=900, on_hand=5)
    order_id = await delivered(http, customer, session_uow, (sku, 1))
    strict = settings.model_copy(update={"return_review_threshold": 100})
    async with api_client(strict) as api:  # held for review: nothing ships yet
        return_id = (await ask(api, customer, order_id, (sku, 1))).json()["id"]
        cancelled = await api.post(f"/v1/returns/{return_id}/cancel", headers=customer.auth)
        again = await api.post(f"/v1/returns/{return_id}/cancel", headers=customer.auth)
        receive = await api.post(
            f"/v1/returns/{return_id}/receive",
            json={"items": [{"sku": sku, "restock": 1}]},
            headers=ops.auth,
        )
        anew = await ask(api, customer, order_id, (sku, 1))

    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert again.status_code == 200
    assert receive.status_code == 409
    assert anew.status_code == 201
    listed = (await http.get(f"/v1/orders/{order_id}/returns", headers=customer.auth)).json()
    assert [r["status"] for r in listed] == ["cancelled", "awaiting_review"]
    mine = (
        await http.get("/v1/returns", params={"order_id": order_id}, headers=customer.auth)
    ).json()
    assert {r["id"] for r in mine["data"]} == {r["id"] for r in listed}


async def test_news_of_a_label_not_yet_recorded_is_asked_again(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any, settings: Settings
) -> None:
    sku = await add_product(session_uow, price=900, on_hand=5)
    order_id = await delivered(http, customer, session_uow, (sku, 2))
    strict = settings.model_copy(update={"return_review_threshold": 100})
    async with api_client(strict) as api:  # held for review: no label yet
        waiting = (await ask(api, customer, order_id, (sku, 1))).json()["id"]
        cancelled = (await ask(api, customer, order_id, (sku, 1))).json()["id"]
        await api.post(f"/v1/returns/{cancelled}/cancel", headers=customer.auth)
    news = {"event": "in_transit", "occurred_at": "2026-12-01T10:00:00Z"}

    body, headers = signed({"tracking_number": "TRK-LABEL-1", "reference": waiting, **news})
    early = await http.post("/v1/webhooks/carrier", content=body, headers=headers)
    body, headers = signed({"tracking_number": "TRK-LABEL-2", "reference": cancelled, **news})
    ended = await http.post("/v1/webhooks/carrier", content=body, headers=headers)

    assert early.status_code == 503 and early.headers["Retry-After"] == "1"
    assert ended.status_code == 404


async def exchanged(
    http: httpx.AsyncClient,
    customer: Caller,
    ops: Caller,
    order_id: str,
    old: str,
    new: str,
    token: str | None = "tok_ok",
) -> dict[str, Any]:
    """Returns one `old` for one `new`, ships it back and has it received: the return
    once closed."""
    asked = await ask(
        http,
        customer,
        order_id,
        (old, 1),
        exchange_items=[{"sku": new, "quantity": 1}],
        **({"payment": {"token": token}} if token else {}),
    )
    assert asked.status_code == 201, asked.text
    return_id = asked.json()["id"]
    await in_transit(http, customer, return_id)
    received = await http.post(
        f"/v1/returns/{return_id}/receive",
        json={"items": [{"sku": old, "restock": 1}]},
        headers=ops.auth,
    )
    assert received.status_code == 200, received.text
    return await return_reaching(http, customer, return_id, "closed")


async def test_an_exchange_for_dearer_items_charges_only_the_difference(
    http: httpx.AsyncClient,
    customer: Caller,
    ops: Caller,
    session_uow: Any,
    settings: Settings,
    stack: Stack,
) -> None:
    old = await add_product(session_uow, price=1_000, on_hand=5)
    new = await add_product(session_uow, price=1_500, on_hand=5)
    order_id = await delivered(http, customer, session_uow, (old, 1))

    closed = await exchanged(http, customer, ops, order_id, old, new)
    order = (await http.get(f"/v1/orders/{order_id}", headers=customer.auth)).json()
    async with httpx.AsyncClient(base_url=stack.payment_url) as payment:
        ledger = (await payment.get("/admin/ledger")).json()

    exchange = closed["exchange"]
    assert exchange["difference"] == {"amount": 500, "currency": "USD"}
    assert exchange["status"] == "shipped"
    assert exchange["order_shipment_id"] == f"{order_id}-2"
    assert closed["refund"] is None or closed["refund"]["amount"]["amount"] == 0
    assert order["refunded_total"]["amount"] == 0 and order["status"] == "delivered"
    (difference,) = [a for a in ledger["authorizations"] if a["reference"] == closed["id"]]
    assert (difference["amount"], difference["status"]) == (500, "captured")
    (paid,) = [a for a in ledger["authorizations"] if a["reference"] == order_id]
    assert paid["amount"] == 1_000  # what the order paid is not charged again
    assert (await stock_at(session_uow, new))["default"][0] == 4
    assert await run_check(settings, [order_id], grace=0) == 0


async def test_an_exchange_for_cheaper_items_refunds_the_difference(
    http: httpx.AsyncClient, customer: Caller, ops: Caller, session_uow: Any, settings: Settings
) -> None:
    old = await add_product(session_uow, price=1_000, on_hand=5)
    new = await add_product(session_uow, price=600, on_hand=5)
    order_id = await delivered(http, customer, session_uow, (old, 1))

    closed = await exchanged(http, customer, ops, order_id, old, new, token=None)

    assert closed["exchange"]["difference"]["amount"] == -400
    assert closed["refund"]["amount"]["amount"] == 400
    assert closed["refund"]["status"] == "succeeded"
    assert await run_check(settings, [order_id], grace=0) == 0


async def test_an_exchange_is_refused_without_payment_or_for_what_is_not_for_sale(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any
) -> None:
    old = await add_product(session_uow, price=1_000, on_hand=5)
    dearer = await add_product(session_uow, price=2_000, on_hand=5)
    order_id = await delivered(http, customer, session_uow, (old, 1))

    unpaid = await ask(
        http, customer, order_id, (old, 1), exchange_items=[{"sku": dearer, "quantity": 1}]
    )
    unknown = await ask(
        http, customer, order_id, (old, 1), exchange_items=[{"sku": "NO-SUCH", "quantity": 1}]
    )

    assert unpaid.status_code == 422 and "payment token" in unpaid.json()["detail"]
    assert unknown.status_code == 422
