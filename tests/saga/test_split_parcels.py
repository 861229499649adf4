"""An order held at three locations ships three parcels: each booked in turn, each
captured for its part (only the last capture is final), each tracked by its own
tracking number; delivered only once every parcel is. On skipped time."""

from __future__ import annotations

from typing import Any

from domain.commands import (
    PlannedShipment,
    ShipmentCreated,
    ShipmentTracking,
    StockReservation,
)
from tests.saga.conftest import Saga, keeps_failing
from workflows.contracts import CarrierUpdate
from workflows.order import OrderWorkflow

PLAN = [
    PlannedShipment(1, "west", 1_000, 1),
    PlannedShipment(2, "east", 600, 2),
    PlannedShipment(3, "north", 400, 1),
]


def split_in_three(saga: Saga) -> None:
    saga.stubs.behaviour["reserve_stock"] = lambda _: StockReservation(
        reserved=True, total=2_000, shipments=PLAN
    )
    saga.stubs.behaviour["create_shipment"] = lambda command: ShipmentCreated(
        f"shp_{command['number']}", "stub", f"TRK{command['number']}", command["number"]
    )


def commands(saga: Saga, step: str) -> list[Any]:
    return [call.command for call in saga.stubs.calls if call.step == step]


def recorded_news(saga: Saga) -> list[str]:
    """The tracking numbers of the carrier news recorded, in order: news the saga held
    at once is recorded in one step (its first piece, then `later`)."""
    return [
        news["tracking_number"]
        for command in commands(saga, "record_carrier_event")
        for news in [command, *command["later"]]
    ]


async def test_each_parcel_is_booked_then_captured_for_its_part_then_tracked(saga: Saga) -> None:
    split_in_three(saga)
    saga.stubs.behaviour["track_shipment"] = lambda _: ShipmentTracking(
        [
            {"event": "delivered", "occurred_at": "t", "tracking_number": f"TRK{n}"}
            for n in (1, 2, 3)
        ]  # type: ignore[misc]
    )

    outcome = await saga.run(saga.order())

    assert outcome.status == "delivered"
    assert [c["number"] for c in commands(saga, "create_shipment")] == [1, 2, 3]
    assert [(c["number"], c["amount"], c["final"]) for c in commands(saga, "capture_payment")] == [
        (1, 1_000, False),
        (2, 600, False),
        (3, 400, True),
    ]
    assert sorted(recorded_news(saga)) == ["TRK1", "TRK2", "TRK3"]


async def test_the_order_is_delivered_only_once_every_parcel_is(saga: Saga) -> None:
    split_in_three(saga)
    saga.stubs.behaviour["track_shipment"] = lambda _: ShipmentTracking()
    handle = await saga.start(saga.order())
    await saga.wait_until(lambda: len(commands(saga, "capture_payment")) == 3)

    for number in (1, 3):
        await handle.signal(
            OrderWorkflow.carrier_event, CarrierUpdate("delivered", "t", f"TRK{number}")
        )
    await saga.wait_until(lambda: len(recorded_news(saga)) == 2)
    still = await handle.query(OrderWorkflow.status)
    await handle.signal(OrderWorkflow.carrier_event, CarrierUpdate("delivered", "t", "TRK2"))
    outcome = await saga.result_of(handle)

    assert still.status == "shipped"
    assert outcome.status == "delivered"


async def test_a_part_that_cannot_be_captured_calls_every_parcel_off_and_undoes_all(
    saga: Saga,
) -> None:
    split_in_three(saga)

    def second_fails(command: Any) -> None:
        if command["number"] == 2:
            keeps_failing(command)

    saga.stubs.behaviour["capture_payment"] = second_fails

    outcome = await saga.run(saga.order())

    assert (outcome.status, outcome.failure_reason) == ("failed", "capture_failed")
    captured = {c["number"] for c in commands(saga, "capture_payment")}
    assert captured == {1, 2}  # the third part was never asked for
    undone = [
        s
        for s in saga.stubs.steps_run()
        if s in ("cancel_shipment", "void_payment", "release_stock")
    ]
    assert undone == ["cancel_shipment", "void_payment", "release_stock"]
