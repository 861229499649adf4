"""An order whose units are held at several locations ships one parcel per location:
each booked from its location, captured for its part of the one authorization and
tracked on its own; the order is shipped once every parcel is booked, delivered once
every one is. A parcel the carrier refuses undoes the whole order (docs/saga.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import text
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from domain import events
from domain.commands import CreateShipment, ShipmentCreated
from domain.shipments import Shipment
from infra.settings import Settings
from services import books
from tests.factories import add_location, stock_at
from tests.workflows.conftest import Saga, saga_with
from workflows.contracts import ReviewDecision
from workflows.search_attributes import SHIPMENT_COUNT


async def two_locations(saga: Saga) -> tuple[str, str, str, str]:
    """SKU a only at the first location, b only at the second: an order of both splits."""
    a = await saga.product(price=1_000, on_hand=0)
    b = await saga.product(price=250, on_hand=0)
    west = await add_location(saga.uow, "west", priority=1, stock={a: 5})
    east = await add_location(saga.uow, "east", priority=2, stock={b: 5})
    return a, b, west, east


async def timeline(saga: Saga, order_id: str) -> list[tuple[str, dict[str, Any]]]:
    async with saga.uow() as uow:
        rows = await uow.session.execute(
            text("SELECT type, data FROM order_events WHERE order_id = :id ORDER BY id"),
            {"id": order_id},
        )
        return [(kind, data) for kind, data in rows]


async def parcels_of(saga: Saga, order_id: str) -> list[Shipment]:
    async with saga.uow() as uow:
        parcels: list[Shipment] = await uow.shipments.of(order_id, lock=False)
    return parcels


async def test_an_order_over_two_locations_ships_two_parcels_paid_in_parts(
    saga: Saga, settings: Settings
) -> None:
    a, b, west, east = await two_locations(saga)
    order = saga.order((a, 1), (b, 2))

    await saga.place(order)
    outcome = await saga.outcome(order)

    assert outcome.status == "delivered"
    parcels = await parcels_of(saga, order.order_id)
    assert [(p.location_id, p.state.value, p.captured) for p in parcels] == [
        (west, "delivered", 1_000),
        (east, "delivered", 500),
    ]
    # One authorization, captured in two parts: the last one settles it.
    ledger = await saga.ledger("payment")
    (auth,) = [x for x in ledger["authorizations"] if x["reference"] == order.order_id]
    captures = [op for op in ledger["operations"] if op.get("id") == auth["id"]]
    assert [(op["op"], op.get("amount"), op.get("final")) for op in captures] == [
        ("authorize", 1_500, None),
        ("capture", 1_000, False),
        ("capture", 500, True),
    ]
    assert (auth["status"], auth["captured"]) == ("captured", 1_500)
    # Each parcel picked up where its units were held.
    carrier = await saga.ledger("carrier")
    origins = sorted(
        s["origin"]["location_id"] for s in carrier["shipments"] if s["reference"] == order.order_id
    )
    assert origins == sorted([west, east])
    assert await stock_at(saga.uow, a) == {"default": (0, 0), west: (4, 0)}
    assert await stock_at(saga.uow, b) == {"default": (0, 0), east: (3, 0)}
    entries = await timeline(saga, order.order_id)
    kinds = [kind for kind, _ in entries]
    assert kinds.count(events.SHIPMENT_BOOKED) == 2
    assert kinds.count(events.SHIPMENT_CREATED) == 1  # the order shipped: both booked
    left = [data["shipments_left"] for kind, data in entries if kind == events.SHIPMENT_DELIVERED]
    assert sorted(left) == [0, 1]
    description = await saga.handle(order).describe()
    assert description.typed_search_attributes.get(SHIPMENT_COUNT) == 2
    assert await books.check(settings, order_ids=[order.order_id]) == []


async def test_a_one_location_order_ships_one_parcel_as_before(saga: Saga) -> None:
    sku = await saga.product(price=700, on_hand=4)
    order = saga.order((sku, 2))

    await saga.place(order)
    assert (await saga.outcome(order)).status == "delivered"

    (parcel,) = await parcels_of(saga, order.order_id)
    assert (parcel.location_id, parcel.captured) == ("default", 1_400)
    assert await saga.payment_operations(order.order_id) == ["authorize", "capture"]


def refusing_the_second_parcel(real: Any) -> Any:
    @activity.defn(name="create_shipment")
    async def create_shipment(command: CreateShipment) -> ShipmentCreated:
        if command.number == 2:
            raise ApplicationError(
                "injected: the carrier refuses parcel 2",
                type="DestinationUnsupported",
                non_retryable=True,
            )
        result: ShipmentCreated = await real(command)
        return result

    return create_shipment


async def test_a_parcel_the_carrier_refuses_undoes_the_booked_one_and_the_order(
    client: Client,
    settings: Settings,
    session_uow: Any,
    simulators: dict[str, httpx.AsyncClient],
) -> None:
    wrap: dict[str, Callable[[Any], Any]] = {"create_shipment": refusing_the_second_parcel}
    async with saga_with(client, settings, session_uow, simulators, wrap) as saga:
        a, b, west, east = await two_locations(saga)
        order = saga.order((a, 2), (b, 1))
        await saga.place(order)
        outcome = await saga.outcome(order)

    assert (outcome.status, outcome.failure_reason) == ("failed", "shipping_refused")
    parcels = await parcels_of(saga, order.order_id)
    assert [(p.state.value, p.units.value) for p in parcels] == [
        ("cancelled", "restocked"),
        ("cancelled", "released"),
    ]
    carrier = await saga.ledger("carrier")
    booked = [s for s in carrier["shipments"] if s["reference"] == order.order_id]
    assert [s["status"] for s in booked] == ["cancelled"]
    assert await saga.payment_operations(order.order_id) == ["authorize", "void"]
    assert await stock_at(saga.uow, a) == {"default": (0, 0), west: (5, 0)}
    assert await stock_at(saga.uow, b) == {"default": (0, 0), east: (5, 0)}
    assert await books.check(settings, order_ids=[order.order_id]) == []


async def test_a_parcel_whose_location_closes_before_booking_moves_to_one_that_has_it(
    saga: Saga, settings: Settings
) -> None:
    sku = await saga.product(price=100_000, on_hand=0)
    first = await add_location(saga.uow, "first", priority=1, stock={sku: 1})
    second = await add_location(saga.uow, "second", priority=2, stock={sku: 3})
    order = saga.order((sku, 1), review_threshold=50_000)  # held for review first
    await saga.place(order)
    async with saga.uow() as uow:
        await uow.locations.change(first, {"active": False})
        await uow.commit()

    await saga.handle(order).execute_update(
        "review", ReviewDecision(approve=True, reviewer_id="usr_ops")
    )
    assert (await saga.outcome(order)).status == "delivered"

    (parcel,) = await parcels_of(saga, order.order_id)
    assert parcel.location_id == second
    assert await stock_at(saga.uow, sku) == {"default": (0, 0), first: (1, 0), second: (2, 0)}
    moved = [
        d for kind, d in await timeline(saga, order.order_id) if kind == "shipment.reallocated"
    ]
    assert [(m["from_location"], m["to_location"]) for m in moved] == [(first, second)]
    assert await books.check(settings, order_ids=[order.order_id]) == []


async def test_a_closed_location_whose_units_no_other_has_fails_the_order_with_stock_back(
    saga: Saga, settings: Settings
) -> None:
    sku = await saga.product(price=100_000, on_hand=0)
    only = await add_location(saga.uow, "only", priority=1, stock={sku: 2})
    order = saga.order((sku, 2), review_threshold=50_000)
    await saga.place(order)
    async with saga.uow() as uow:
        await uow.locations.change(only, {"active": False})
        await uow.commit()

    await saga.handle(order).execute_update(
        "review", ReviewDecision(approve=True, reviewer_id="usr_ops")
    )
    outcome = await saga.outcome(order)

    assert (outcome.status, outcome.failure_reason) == ("failed", "out_of_stock")
    assert await stock_at(saga.uow, sku) == {"default": (0, 0), only: (2, 0)}
    assert await saga.payment_operations(order.order_id) == ["authorize", "void"]
    assert await books.check(settings, order_ids=[order.order_id]) == []
