"""An order ships as one parcel per location: each booked, captured and tracked on its
own; the order is shipped once every parcel is booked, delivered once every one is."""

from __future__ import annotations

import pytest

from domain import events
from domain.allocation import Pick
from domain.errors import IllegalTransition
from domain.money import Money
from domain.order import Address, Order, OrderLine, OrderStatus, PaymentStatus
from domain.shipments import Shipment, ShipmentState, UnitsState, plan

PRICES = {"SKU-1": 1000, "SKU-2": 250}


def split_order() -> tuple[Order, list[Shipment]]:
    """3 x SKU-1 split 2 + 1 over two locations, and 4 x SKU-2 at the second."""
    lines = [
        OrderLine(sku, qty, Money(PRICES[sku], "EUR")) for sku, qty in [("SKU-1", 3), ("SKU-2", 4)]
    ]
    order = Order.place("ord_1", "usr_1", lines, Address("A", "1 St", "Berlin", "1", "DE"), "EUR")
    picks = [
        Pick(1, "SKU-1", "eu-west", 2),
        Pick(1, "SKU-1", "eu-east", 1),
        Pick(2, "SKU-2", "eu-east", 4),
    ]
    order.reserve()
    order.authorize("auth_1")
    return order, plan(order.id, picks, PRICES)


def test_the_plan_has_one_parcel_per_location_in_the_order_first_used() -> None:
    _, parcels = split_order()
    assert [(p.number, p.location_id) for p in parcels] == [(1, "eu-west"), (2, "eu-east")]
    assert [p.id for p in parcels] == ["ord_1-1", "ord_1-2"]
    assert parcels[0].quantities == {("eu-west", "SKU-1"): 2}
    assert parcels[1].quantities == {("eu-east", "SKU-1"): 1, ("eu-east", "SKU-2"): 4}
    # Each is worth its units: together, the order's total.
    assert [p.value for p in parcels] == [2000, 1000 + 1000]


def test_the_order_ships_once_every_parcel_is_booked() -> None:
    order, parcels = split_order()
    assert parcels[0].book("c1", "simcarrier", "TRK1")
    order.shipment_booked(parcels[0], parcels)
    assert order.status is OrderStatus.AUTHORIZED
    assert not parcels[0].book("c1", "simcarrier", "TRK1")  # a retry books nothing more
    parcels[1].book("c2", "simcarrier", "TRK2")
    order.shipment_booked(parcels[1], parcels)
    assert order.status is OrderStatus.SHIPPED
    # The order's `shipment` is the first parcel.
    assert (order.shipment_id, order.tracking_number) == ("c1", "TRK1")
    booked = [e for e in order.new_events if e.type == events.SHIPMENT_BOOKED]
    assert [e.data["location_id"] for e in booked] == ["eu-west", "eu-east"]
    assert {e.dedupe_key for e in booked} == {"shipment.booked:1", "shipment.booked:2"}
    assert [e.type for e in order.new_events].count(events.SHIPMENT_CREATED) == 1


def test_each_parcel_captures_its_part_and_the_last_one_settles_the_payment() -> None:
    order, parcels = split_order()
    for parcel in parcels:
        parcel.book(f"c{parcel.number}", "simcarrier", f"TRK{parcel.number}")
        order.shipment_booked(parcel, parcels)
    parcels[0].capture(parcels[0].value)
    order.shipment_captured(parcels[0], final=False)
    assert order.payment_status is PaymentStatus.AUTHORIZED
    assert not parcels[0].capture(parcels[0].value)  # taken once
    parcels[1].capture(parcels[1].value)
    order.shipment_captured(parcels[1], final=True)
    assert order.payment_status is PaymentStatus.CAPTURED
    captured = [e.data["amount"] for e in order.new_events if e.type == events.PAYMENT_CAPTURED]
    assert sum(captured) == order.total.amount


def test_the_order_is_delivered_once_every_parcel_is() -> None:
    order, parcels = split_order()
    for parcel in parcels:
        parcel.book(f"c{parcel.number}", "simcarrier", f"TRK{parcel.number}")
        order.shipment_booked(parcel, parcels)
    parcels[1].track("delivered")
    order.shipment_tracked(parcels[1], "delivered", "t1", parcels)
    assert order.status is OrderStatus.SHIPPED
    assert order.shipment_status is not None and order.shipment_status.value == "created"
    parcels[0].track("delivered")
    order.shipment_tracked(parcels[0], "delivered", "t2", parcels)
    assert order.status is OrderStatus.DELIVERED
    delivered = [e for e in order.new_events if e.type == events.SHIPMENT_DELIVERED]
    assert [e.data["shipments_left"] for e in delivered] == [1, 0]
    assert not parcels[0].track("in_transit")  # delivered stays delivered


def test_news_of_a_tracking_number_moves_only_its_parcel_and_is_keyed_per_parcel() -> None:
    order, parcels = split_order()
    for parcel in parcels:
        parcel.book(f"c{parcel.number}", "simcarrier", f"TRK{parcel.number}")
        order.shipment_booked(parcel, parcels)

    moved = order.track_parcel("TRK2", "in_transit", "t1", parcels)
    unknown = order.track_parcel("TRK9", "in_transit", "t1", parcels)

    assert (moved, unknown) == ([parcels[1]], [])
    assert [p.state for p in parcels] == [ShipmentState.CREATED, ShipmentState.IN_TRANSIT]
    news = [e for e in order.new_events if e.type == events.SHIPMENT_IN_TRANSIT]
    assert [e.dedupe_key for e in news] == ["carrier:2:in_transit:t1"]


def test_an_order_of_before_keys_its_news_as_its_first_parcel_does() -> None:
    """The webhook records news of an order's one parcel through `track_parcel`; its
    workflow, of before split shipments, through `record_carrier_event`: stored once."""
    order, parcels = split_order()
    parcels[0].book("c1", "simcarrier", "TRK1")
    parcels[1].book("c1", "simcarrier", "TRK1b")
    for parcel in parcels:
        order.shipment_booked(parcel, parcels)

    order.track_parcel("TRK1", "in_transit", "t1", parcels)
    order.record_carrier_event("in_transit", "t1")

    keys = {e.dedupe_key for e in order.new_events if e.type == events.SHIPMENT_IN_TRANSIT}
    assert keys == {"carrier:1:in_transit:t1"}


def test_compensation_releases_held_parcels_and_restocks_those_called_off() -> None:
    order, parcels = split_order()
    parcels[0].book("c1", "simcarrier", "TRK1")
    order.shipment_booked(parcels[0], parcels)
    for parcel in parcels:
        parcel.call_off()
    assert [p.put_back() for p in parcels] == ["restocked", "released"]
    assert [p.put_back() for p in parcels] == [None, None]
    assert [p.units for p in parcels] == [UnitsState.RESTOCKED, UnitsState.RELEASED]


def test_a_delivered_parcel_cannot_be_called_off_and_only_a_planned_one_can_move() -> None:
    _, parcels = split_order()
    parcels[0].book("c1", "simcarrier", "TRK1")
    parcels[0].track("delivered")
    with pytest.raises(IllegalTransition):
        parcels[0].call_off()
    with pytest.raises(IllegalTransition):
        parcels[0].move_to("us-east")
    parcels[1].move_to("us-east")
    assert parcels[1].quantities == {("us-east", "SKU-1"): 1, ("us-east", "SKU-2"): 4}
    assert parcels[1].state is ShipmentState.PLANNED
