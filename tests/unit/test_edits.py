"""Edits before fulfillment, as planned: units stay where they are held, added units
are allocated, fewer units are let go from the location allocated last."""

from __future__ import annotations

from domain.allocation import Location, Pick
from domain.edits import merged, plan_edit, priced
from domain.money import Money
from domain.order import OrderLine


def test_an_edit_keeps_units_where_they_are_and_adds_to_the_same_line_once() -> None:
    line = OrderLine("SKU-1", 3, Money(1000, "EUR"))
    held = [Pick(1, "SKU-1", "default", 1)]
    locations = [Location("default", "Default", "DE")]
    edit = plan_edit(
        (line,),
        1000,
        held,
        locations,
        {("default", "SKU-1"): 5},
        country="DE",
        country_changed=False,
    )
    assert edit.picks == (Pick(1, "SKU-1", "default", 3),)
    assert (edit.hold, edit.free, edit.difference) == ({("default", "SKU-1"): 2}, {}, 2000)


def test_an_edit_to_fewer_units_lets_go_of_the_last_allocated_first() -> None:
    line = OrderLine("SKU-1", 2, Money(1000, "EUR"))
    held = [Pick(1, "SKU-1", "west", 2), Pick(1, "SKU-1", "east", 2)]
    locations = [Location("west", "W", "DE"), Location("east", "E", "DE")]
    edit = plan_edit((line,), 4000, held, locations, {}, country="DE", country_changed=False)
    assert edit.picks == (Pick(1, "SKU-1", "west", 2),)
    assert (edit.hold, edit.free, edit.difference) == ({}, {("east", "SKU-1"): 2}, -2000)


def test_a_new_country_allocates_the_whole_order_again_counting_what_it_holds() -> None:
    line = OrderLine("SKU-1", 2, Money(1000, "EUR"))
    held = [Pick(1, "SKU-1", "us", 2)]
    locations = [Location("us", "US", "US"), Location("de", "DE", "DE", priority=500)]
    free = {("us", "SKU-1"): 0, ("de", "SKU-1"): 2}
    edit = plan_edit((line,), 2000, held, locations, free, country="DE", country_changed=True)
    assert edit.picks == (Pick(1, "SKU-1", "de", 2),)
    assert (edit.hold, edit.free) == ({("de", "SKU-1"): 2}, {("us", "SKU-1"): 2})


def test_units_keep_the_price_they_were_sold_at_and_new_skus_take_todays() -> None:
    sold = [OrderLine("SKU-1", 1, Money(900, "EUR"))]
    lines = priced(
        merged([("SKU-1", 1), ("SKU-2", 1), ("SKU-1", 2)]),
        sold,
        {"SKU-1": 1200, "SKU-2": 500},
        "EUR",
    )
    assert [(x.sku, x.quantity, x.unit_price.amount) for x in lines] == [
        ("SKU-1", 3, 900),
        ("SKU-2", 1, 500),
    ]


def test_short_stock_is_named_and_nothing_is_held() -> None:
    line = OrderLine("SKU-1", 5, Money(1000, "EUR"))
    held = [Pick(1, "SKU-1", "default", 1)]
    locations = [Location("default", "Default", "DE")]
    free = {("default", "SKU-1"): 1}
    edit = plan_edit((line,), 1000, held, locations, free, country="DE", country_changed=False)
    assert edit.short == ("SKU-1",)
