from __future__ import annotations

import pytest

from domain import events
from domain.allocation import Pick
from domain.errors import IllegalTransition
from domain.money import Money
from domain.order import (
    Address,
    FailureReason,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    StockStatus,
)
from domain.shipments import Shipment, plan

ADDRESS = Address("Ada", "1 Main St", "London", "N1", "GB")


def placed_order(*prices_and_quantities: tuple[int, int]) -> Order:
    lines = [
        OrderLine(f"SKU{i}", quantity, Money(price, "USD"))
        for i, (price, quantity) in enumerate(prices_and_quantities or ((1000, 2),))
    ]
    return Order.place("ord_1", "usr_1", lines, ADDRESS, "USD")


def event_types(order: Order) -> list[str]:
    return [event.type for event in order.new_events]


def test_the_total_is_the_sum_of_the_line_totals() -> None:
    order = placed_order((1999, 2), (500, 3))
    assert order.total == Money(1999 * 2 + 500 * 3, "USD")


def test_the_happy_path_records_each_milestone_once() -> None:
    order = placed_order()
    order.reserve()
    order.authorize("auth_1")
    order.ship("shp_1", "simcarrier", "TRK1")
    order.capture()
    order.record_carrier_event("in_transit", "t1")
    order.record_carrier_event("delivered", "t2")
    assert order.status is OrderStatus.DELIVERED
    assert event_types(order) == [
        events.ORDER_PLACED,
        events.INVENTORY_RESERVED,
        events.PAYMENT_AUTHORIZED,
        events.SHIPMENT_CREATED,
        events.INVENTORY_COMMITTED,
        events.PAYMENT_CAPTURED,
        events.SHIPMENT_IN_TRANSIT,
        events.SHIPMENT_DELIVERED,
    ]


def test_repeating_a_step_changes_nothing() -> None:
    order = placed_order()
    assert order.reserve() is True
    assert order.reserve() is False
    assert order.authorize("auth_1") is True
    recorded = len(order.new_events)
    assert order.authorize("auth_1") is False
    assert len(order.new_events) == recorded


def test_an_order_cannot_ship_before_it_is_paid_for() -> None:
    order = placed_order()
    order.reserve()
    with pytest.raises(IllegalTransition):
        order.ship("shp_1", "simcarrier", "TRK1")


def test_a_shipped_order_cannot_be_cancelled() -> None:
    order = placed_order()
    order.reserve()
    order.authorize("auth_1")
    order.ship("shp_1", "simcarrier", "TRK1")
    assert not order.status.is_cancellable
    with pytest.raises(IllegalTransition):
        order.cancel("changed my mind")


def test_an_order_whose_booking_was_called_off_ends_cancelled() -> None:
    order = placed_order()
    order.reserve()
    order.authorize("auth_1")
    order.ship("shp_1", "simcarrier", "TRK1")
    order.cancel_shipment("shp_1")

    assert order.cancel("changed my mind while it was being booked")
    assert order.status is OrderStatus.CANCELLED


def test_an_order_whose_parcel_could_not_be_called_back_ends_cancelled_and_flagged() -> None:
    order = placed_order()
    order.reserve()
    order.authorize("auth_1")
    order.ship("shp_1", "simcarrier", "TRK1")
    order.flag_failed_compensation("cancel_shipment")

    assert order.cancel("changed my mind while it was being booked")
    assert (order.status, order.failed_compensations) == (
        OrderStatus.CANCELLED,
        ["cancel_shipment"],
    )


def test_a_refused_order_fails_with_the_reason() -> None:
    order = placed_order()
    order.refuse(FailureReason.OUT_OF_STOCK, ["SKU0"])
    assert order.status is OrderStatus.FAILED
    assert order.failure_reason is FailureReason.OUT_OF_STOCK
    assert event_types(order)[-2:] == [events.INVENTORY_REFUSED, events.ORDER_FAILED]


def parcel_of(order: Order) -> Shipment:
    """The order's one parcel, as planned at reservation."""
    picks = [Pick(n, line.sku, "default", line.quantity) for n, line in enumerate(order.lines, 1)]
    (parcel,) = plan(order.id, picks, {line.sku: line.unit_price.amount for line in order.lines})
    return parcel


def test_releasing_stock_frees_held_units_once() -> None:
    order = placed_order()
    order.reserve()
    parcel = parcel_of(order)
    assert parcel.put_back() == "released"
    assert parcel.put_back() is None
    assert order.stock_put_back(["released"])
    assert order.stock_status is StockStatus.RELEASED
    assert not order.stock_put_back([])


def test_releasing_stock_after_shipping_restocks_it_once_the_parcel_is_called_off() -> None:
    order = placed_order()
    order.reserve()
    order.authorize("auth_1")
    parcel = parcel_of(order)
    parcel.book("shp_1", "simcarrier", "TRK1")
    order.shipment_booked(parcel, [parcel])
    assert order.status is OrderStatus.SHIPPED
    parcel.call_off()
    order.cancel_shipment("shp_1")
    assert parcel.put_back() == "restocked"
    order.stock_put_back(["restocked"])
    assert order.stock_status is StockStatus.RESTOCKED


@pytest.mark.parametrize("carrier_says", [None, "in_transit", "delivered"])
def test_units_that_left_with_a_parcel_nobody_called_back_stay_committed(
    carrier_says: str | None,
) -> None:
    order = placed_order()
    order.reserve()
    order.authorize("auth_1")
    parcel = parcel_of(order)
    parcel.book("shp_1", "simcarrier", "TRK1")
    order.shipment_booked(parcel, [parcel])
    if carrier_says:
        parcel.track(carrier_says)
        order.shipment_tracked(parcel, carrier_says, "2026-01-01T00:00:00Z", [parcel])
    assert parcel.put_back() is None
    assert order.stock_status is StockStatus.COMMITTED
    assert events.STOCK_RESTOCKED not in event_types(order)


def test_a_review_can_approve_and_the_order_goes_on() -> None:
    order = placed_order()
    order.reserve()
    order.request_review()
    order.approve("usr_ops", "looks fine")
    assert order.status is OrderStatus.RESERVED
    order.authorize("auth_1")
    assert order.payment_status is PaymentStatus.AUTHORIZED


def test_a_rejected_review_fails_the_order() -> None:
    order = placed_order()
    order.reserve()
    order.request_review()
    order.reject("usr_ops", "suspicious")
    order.fail(FailureReason.REVIEW_REJECTED)
    assert order.status is OrderStatus.FAILED
    assert events.REVIEW_REJECTED in event_types(order)


def test_the_same_carrier_event_is_keyed_so_it_is_stored_once() -> None:
    order = placed_order()
    order.reserve()
    order.authorize("auth_1")
    order.ship("shp_1", "simcarrier", "TRK1")
    order.record_carrier_event("in_transit", "2026-01-01T00:00:00Z")
    order.record_carrier_event("in_transit", "2026-01-01T00:00:00Z")
    keys = [e.dedupe_key for e in order.new_events if e.type == events.SHIPMENT_IN_TRANSIT]
    assert len(keys) == 2 and len(set(keys)) == 1
