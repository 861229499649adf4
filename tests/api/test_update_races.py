"""What a client reads in the order decides what it may ask next: an update sent the
moment the read model allows it is taken, however far the workflow has got."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client

from domain.identity import workflow_id_for
from tests.api.conftest import Caller, order_body
from tests.factories import add_product, stock_of
from tests.polling import eventually

ORDERS_IN_PARALLEL = 12


async def _place(http: httpx.AsyncClient, caller: Caller, body: dict[str, Any]) -> str:
    response = await http.post("/v1/orders", json=body, headers=caller.placing())
    assert response.status_code == 201, response.text
    order_id: str = response.json()["id"]
    return order_id


async def _once_status_is(
    http: httpx.AsyncClient, caller: Caller, order_id: str, status: str
) -> None:
    """Returns as soon as the read model shows `status`: polls with no pause to speak of,
    so the next request lands inside the window where the workflow may lag behind."""

    async def shown() -> bool:
        response = await http.get(f"/v1/orders/{order_id}", headers=caller.auth)
        return bool(response.json()["status"] == status)

    await eventually(shown, timeout=60, interval=0.005)


async def _settled(http: httpx.AsyncClient, caller: Caller, order_id: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def terminal() -> bool:
        seen.update((await http.get(f"/v1/orders/{order_id}", headers=caller.auth)).json())
        return seen["status"] in ("delivered", "failed", "cancelled")

    await eventually(terminal, timeout=90)
    return seen


async def test_a_review_sent_as_soon_as_the_order_shows_awaiting_review_is_taken(
    http: httpx.AsyncClient, customer: Caller, ops: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, price=60_000, on_hand=ORDERS_IN_PARALLEL)

    async def place_and_review(index: int) -> tuple[str, str, httpx.Response]:
        decision = "approve" if index % 2 == 0 else "reject"
        order_id = await _place(http, customer, order_body((sku, 1)))
        await _once_status_is(http, customer, order_id, "awaiting_review")
        answer = await http.post(
            f"/v1/orders/{order_id}/review", json={"decision": decision}, headers=ops.auth
        )
        return order_id, decision, answer

    results = await asyncio.gather(*(place_and_review(i) for i in range(ORDERS_IN_PARALLEL)))

    refused = [(order_id, a.text) for order_id, _, a in results if a.status_code != 200]
    assert refused == []
    for order_id, decision, _ in results:
        settled = await _settled(http, customer, order_id)
        if decision == "approve":
            assert settled["status"] == "delivered", settled
        else:
            assert (settled["status"], settled["failure_reason"]) == ("failed", "review_rejected")
    stock = await stock_of(session_uow, sku)
    assert stock.reserved == 0
    assert stock.on_hand == ORDERS_IN_PARALLEL - ORDERS_IN_PARALLEL // 2


def _booking_in_flight(
    client: Client, order_id: str, state: PendingActivityState | None = None
) -> Callable[[], Awaitable[bool]]:
    """Whether the booking is pending (in `state`, if given)."""

    async def create_shipment_pending() -> bool:
        handle = client.get_workflow_handle(workflow_id_for(order_id))
        pending = (await handle.describe()).raw_description.pending_activities
        return any(
            p.activity_type.name == "create_shipment" and (state is None or p.state == state)
            for p in pending
        )

    return create_shipment_pending


def _booking_asked_to_stop(client: Client, order_id: str) -> Callable[[], Awaitable[bool]]:
    return _booking_in_flight(
        client, order_id, PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED
    )


async def test_a_cancel_sent_as_soon_as_the_order_shows_authorized_is_taken_and_undone(
    http: httpx.AsyncClient,
    customer: Caller,
    session_uow: Any,
    simulators: dict[str, httpx.AsyncClient],
    client: Client,
) -> None:
    """A slow carrier holds the booking open: the workflow has moved on to shipping
    while the read model still says `authorized`, which a client may cancel."""
    carrier = simulators["carrier"]
    sku = await add_product(session_uow, on_hand=5)
    config = (await carrier.get("/admin/config")).json()
    # No tracking updates: the parcel must not be delivered before it is called off.
    await carrier.put("/admin/config", json={**config, "send_updates": False})
    # Long enough that the booking is still open when the cancel lands.
    await carrier.put("/admin/faults", json={"latency_ms": 5_000})
    try:
        order_id = await _place(http, customer, order_body((sku, 2)))
        await _once_status_is(http, customer, order_id, "authorized")
        # The window itself: the booking is under way, its commit not yet made.
        await eventually(_booking_in_flight(client, order_id))

        cancel = asyncio.create_task(
            http.post(f"/v1/orders/{order_id}/cancel", headers=customer.auth)
        )
        # Once the cancel is taken (the booking is asked to stop), the carrier answers
        # promptly again, so calling the parcel off does not race the provider timeout
        # (5 s, as slow as the fault); the cancel itself answers once that is done.
        await eventually(_booking_asked_to_stop(client, order_id))
        await carrier.put("/admin/faults", json={})
        answer = await cancel
        settled = await _settled(http, customer, order_id)
    finally:
        await carrier.put("/admin/config", json=config)

    assert answer.status_code == 200, answer.text
    assert settled["status"] == "cancelled"
    assert settled["payment"]["status"] in ("voided", "refunded")
    shipments = (await carrier.get("/admin/ledger")).json()["shipments"]
    # Called off, or never recorded by the carrier at all when the cancel stopped the
    # booking's request inside the carrier's slow answer: no live parcel either way.
    assert {s["status"] for s in shipments if s["reference"] == order_id} <= {"cancelled"}
    payments = (await simulators["payment"].get("/admin/ledger")).json()["authorizations"]
    assert {a["status"] for a in payments if a["reference"] == order_id} == {"voided"}
    stock = await stock_of(session_uow, sku)
    assert (stock.on_hand, stock.reserved) == (5, 0)
