"""The invariant rules on hand-made facts: each rule finds what it is for, and nothing
in books that agree."""

from __future__ import annotations

from dataclasses import replace

from domain import events
from domain.invariants import (
    Authorization,
    Facts,
    OrderFacts,
    ReturnFacts,
    Shipment,
    StockFacts,
    find_violations,
)
from domain.order import OrderStatus, StockStatus

DELIVERED_TIMELINE = [
    events.ORDER_PLACED,
    events.INVENTORY_RESERVED,
    events.PAYMENT_AUTHORIZED,
    events.SHIPMENT_CREATED,
    events.PAYMENT_CAPTURED,
    events.SHIPMENT_DELIVERED,
]


def delivered(order_id: str = "ord_1") -> OrderFacts:
    return OrderFacts(
        id=order_id,
        status=OrderStatus.DELIVERED,
        stock_status=StockStatus.COMMITTED,
        total=2_000,
        lines={"MUG": 2},
        timeline=DELIVERED_TIMELINE,
        workflow_running=False,
    )


def books(**changes: object) -> Facts:
    facts = Facts(
        orders=[delivered()],
        stock=[StockFacts("MUG", on_hand=8, reserved=0)],
        authorizations=[Authorization("auth_1", "ord_1", 2_000, "captured")],
        shipments=[Shipment("shp_1", "ord_1", "delivered")],
        held_by_sku={},
    )
    return replace(facts, **changes)  # type: ignore[arg-type]


def rules_broken(facts: Facts) -> list[tuple[str, str]]:
    return [(v.rule, v.subject) for v in find_violations(facts)]


def test_books_that_agree_break_no_rule() -> None:
    assert rules_broken(books()) == []


def test_reserved_units_that_no_order_holds_are_found() -> None:
    assert rules_broken(books(stock=[StockFacts("MUG", 8, 3)])) == [("stock", "MUG")]


def test_a_delivered_order_charged_twice_is_found() -> None:
    twice = [
        Authorization("auth_1", "ord_1", 2_000, "captured"),
        Authorization("auth_2", "ord_1", 2_000, "captured"),
    ]
    assert rules_broken(books(authorizations=twice)) == [("money", "ord_1")]


def test_a_capture_of_the_wrong_amount_is_found() -> None:
    wrong = [Authorization("auth_1", "ord_1", 1_999, "captured")]
    assert rules_broken(books(authorizations=wrong)) == [("money", "ord_1")]


def test_a_cancelled_order_with_an_open_authorization_is_found() -> None:
    cancelled = OrderFacts(
        "ord_1",
        OrderStatus.CANCELLED,
        StockStatus.RELEASED,
        2_000,
        {"MUG": 2},
        [events.ORDER_PLACED, events.ORDER_CANCELLED],
    )
    facts = books(
        orders=[cancelled],
        authorizations=[Authorization("auth_1", "ord_1", 2_000, "authorized")],
        shipments=[],
    )
    assert rules_broken(facts) == [("money", "ord_1")]


def test_a_failed_order_with_a_live_parcel_and_held_stock_is_found() -> None:
    failed = OrderFacts(
        "ord_1",
        OrderStatus.FAILED,
        StockStatus.HELD,
        2_000,
        {"MUG": 2},
        [events.ORDER_PLACED, events.ORDER_FAILED],
    )
    facts = books(
        orders=[failed],
        stock=[StockFacts("MUG", 10, 2)],
        held_by_sku={"MUG": 2},
        authorizations=[Authorization("auth_1", "ord_1", 2_000, "voided")],
        shipments=[Shipment("shp_1", "ord_1", "created")],
    )
    assert sorted(rules_broken(facts)) == [("shipping", "ord_1"), ("stock", "ord_1")]


def test_an_order_stuck_in_authorized_is_found_once_it_has_settled() -> None:
    stuck = OrderFacts(
        "ord_1",
        OrderStatus.AUTHORIZED,
        StockStatus.HELD,
        2_000,
        {"MUG": 2},
        [events.ORDER_PLACED, events.INVENTORY_RESERVED, events.PAYMENT_AUTHORIZED],
    )
    facts = books(
        orders=[stuck],
        stock=[StockFacts("MUG", 10, 2)],
        held_by_sku={"MUG": 2},
        authorizations=[Authorization("auth_1", "ord_1", 2_000, "authorized")],
        shipments=[],
    )
    assert rules_broken(facts) == [("liveness", "ord_1")]
    assert rules_broken(replace(facts, orders=[replace(stuck, settled=False)])) == []


def test_an_order_waiting_for_review_with_no_workflow_is_found() -> None:
    waiting = OrderFacts(
        "ord_1",
        OrderStatus.AWAITING_REVIEW,
        StockStatus.HELD,
        2_000,
        {"MUG": 2},
        [events.ORDER_PLACED, events.INVENTORY_RESERVED, events.REVIEW_REQUESTED],
        workflow_running=False,
    )
    facts = books(
        orders=[waiting],
        stock=[StockFacts("MUG", 10, 2)],
        held_by_sku={"MUG": 2},
        authorizations=[],
        shipments=[],
    )
    assert rules_broken(facts) == [("liveness", "ord_1")]
    assert rules_broken(replace(facts, orders=[replace(waiting, workflow_running=True)])) == []


def test_a_status_the_timeline_does_not_show_is_found() -> None:
    no_proof = replace(delivered(), timeline=DELIVERED_TIMELINE[:-1])
    assert rules_broken(books(orders=[no_proof])) == [("liveness", "ord_1")]


def test_provider_records_of_unknown_orders_are_found_when_all_orders_are_checked() -> None:
    strays = books(
        authorizations=[
            Authorization("auth_1", "ord_1", 2_000, "captured"),
            Authorization("auth_9", "ord_9", 500, "authorized"),
        ],
        shipments=[Shipment("shp_1", "ord_1", "delivered"), Shipment("shp_9", "ord_9", "created")],
    )
    assert rules_broken(strays) == [("money", "ord_9"), ("shipping", "ord_9")]
    assert rules_broken(replace(strays, complete=False)) == []


def test_on_hand_is_the_adjustments_less_what_left_with_parcels() -> None:
    # 10 counted in, 2 left with ord_1's parcel: 8 on hand.
    ledger = {"adjusted_by_sku": {"MUG": 10}, "shipped_by_sku": {"MUG": 2}}
    assert rules_broken(books(**ledger)) == []
    # Two units put back on the shelf by nobody's adjustment.
    invented = books(stock=[StockFacts("MUG", on_hand=10, reserved=0)], **ledger)
    assert rules_broken(invented) == [("stock", "MUG")]


def test_units_restocked_from_a_parcel_that_was_delivered_are_found() -> None:
    failed = replace(
        delivered(),
        status=OrderStatus.FAILED,
        stock_status=StockStatus.RESTOCKED,
        timeline=[*DELIVERED_TIMELINE[:-1], events.ORDER_FAILED],
    )
    facts = books(
        orders=[failed],
        authorizations=[Authorization("auth_1", "ord_1", 2_000, "voided")],
    )
    assert ("stock", "ord_1") in rules_broken(facts)


def test_units_that_left_with_a_delivered_parcel_stay_committed_on_a_failed_order() -> None:
    failed = replace(
        delivered(),
        status=OrderStatus.FAILED,
        timeline=[*DELIVERED_TIMELINE[:-1], events.ORDER_FAILED],
    )
    facts = books(orders=[failed], authorizations=[])
    # Money and the live parcel are for an operator; the stock is where it should be.
    assert ("stock", "ord_1") not in rules_broken(facts)
    assert ("stock", "ord_1") in rules_broken(replace(facts, shipments=[]))


def test_units_reserved_at_one_location_but_held_at_another_are_found() -> None:
    # The totals agree (3 reserved, 3 held); the locations do not.
    facts = books(
        stock=[StockFacts("MUG", 8, 3)],
        held_by_sku={"MUG": 3},
        reserved_by_place={("default", "MUG"): 3, ("eu-west", "MUG"): 0},
        held_by_place={("default", "MUG"): 1, ("eu-west", "MUG"): 2},
    )
    straight = books(
        stock=[StockFacts("MUG", 8, 3)],
        held_by_sku={"MUG": 3},
        reserved_by_place={("default", "MUG"): 1, ("eu-west", "MUG"): 2},
        held_by_place={("default", "MUG"): 1, ("eu-west", "MUG"): 2},
    )

    assert rules_broken(facts) == [("stock", "MUG@default"), ("stock", "MUG@eu-west")]
    assert rules_broken(straight) == []


def test_a_unit_that_left_from_another_location_than_its_shelf_says_is_found() -> None:
    # 5 adjusted in at each location, 2 shipped from eu-west: 5 and 3 on hand.
    straight = books(
        on_hand_by_place={("default", "MUG"): 5, ("eu-west", "MUG"): 3},
        adjusted_by_place={("default", "MUG"): 5, ("eu-west", "MUG"): 5},
        shipped_by_place={("eu-west", "MUG"): 2},
    )
    # The same totals, but the parcel is booked as leaving from default.
    crossed = replace(straight, shipped_by_place={("default", "MUG"): 2})

    assert rules_broken(straight) == []
    assert rules_broken(crossed) == [("stock", "MUG@default"), ("stock", "MUG@eu-west")]


def test_parts_captured_add_up_to_the_total_and_never_exceed_the_authorization() -> None:
    in_parts = [Authorization("auth_1", "ord_1", 2_000, "captured", captured=2_000)]
    short = [Authorization("auth_1", "ord_1", 2_500, "captured", captured=1_000)]
    over = [Authorization("auth_1", "ord_1", 1_000, "captured", captured=2_000)]

    assert rules_broken(books(authorizations=in_parts)) == []
    assert ("money", "ord_1") in rules_broken(books(authorizations=short))
    assert ("money", "ord_1") in rules_broken(books(authorizations=over))
    ours = replace(delivered(), captured=1_500)  # our books disagree with the provider
    assert ("money", "ord_1") in rules_broken(books(orders=[ours], authorizations=in_parts))


def test_an_order_shipped_in_two_parcels_has_two_live_shipments() -> None:
    two = replace(delivered(), parcels=2)
    both = [Shipment("shp_1", "ord_1", "delivered"), Shipment("shp_2", "ord_1", "delivered")]

    assert rules_broken(books(orders=[two], shipments=both)) == []
    assert ("shipping", "ord_1") in rules_broken(books(orders=[two]))
    assert ("shipping", "ord_1") in rules_broken(books(shipments=both))


def test_refunds_above_what_was_captured_are_found() -> None:
    refunded = replace(delivered(), captured=2_000, refunded=2_000)
    too_much = replace(delivered(), captured=2_000, refunded=2_500)
    beyond = [Authorization("auth_1", "ord_1", 2_000, "refunded", captured=2_000, refunded=2_500)]

    assert rules_broken(books(orders=[refunded])) == []
    assert ("money", "ord_1") in rules_broken(books(orders=[too_much]))
    assert ("money", "ord_1") in rules_broken(books(authorizations=beyond))


def test_a_unit_returned_twice_is_found() -> None:
    first = ReturnFacts("ret_1", "ord_1", "closed", {"MUG": 2}, 2_000, "succeeded")
    second = ReturnFacts("ret_2", "ord_1", "in_transit", {"MUG": 1})
    let_go = ReturnFacts("ret_3", "ord_1", "cancelled", {"MUG": 2})

    assert rules_broken(books(returns=[first, let_go])) == []
    assert rules_broken(books(returns=[first, second])) == [("returns", "ord_1")]


def test_a_return_that_ended_with_its_money_unsettled_is_found() -> None:
    unpaid = ReturnFacts("ret_1", "ord_1", "closed", {"MUG": 1}, 1_000, "failed")
    owed_nothing = ReturnFacts("ret_2", "ord_1", "closed", {"MUG": 1}, 0, None)
    refunded_anyway = ReturnFacts("ret_3", "ord_1", "expired", {"MUG": 1}, 1_000, "pending")

    assert rules_broken(books(returns=[unpaid])) == [("returns", "ret_1")]
    assert rules_broken(books(returns=[owed_nothing])) == []
    assert rules_broken(books(returns=[refunded_anyway])) == [("returns", "ret_3")]


def test_a_return_label_is_a_parcel_of_a_known_return() -> None:
    label = Shipment("shp_2", "ret_1", "in_transit")
    rma = ReturnFacts("ret_1", "ord_1", "in_transit", {"MUG": 1})

    assert rules_broken(books(shipments=[*books().shipments, label], returns=[rma])) == []
    assert rules_broken(books(shipments=[*books().shipments, label])) == [("shipping", "ret_1")]
