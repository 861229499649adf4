from __future__ import annotations

import pytest

from domain.errors import InvalidStockLevel
from domain.inventory import MAX_ON_HAND, StockItem


def test_available_is_on_hand_minus_reserved() -> None:
    item = StockItem("A", on_hand=10, reserved=3)
    assert item.available == 7


def test_reserving_more_than_available_is_refused() -> None:
    item = StockItem("A", on_hand=10, reserved=8)
    assert not item.can_reserve(3)
    with pytest.raises(InvalidStockLevel):
        item.reserve(3)
    assert item.reserved == 8


def test_committing_takes_units_out_of_both_counts() -> None:
    item = StockItem("A", on_hand=10)
    item.reserve(4)
    item.commit(4)
    assert (item.on_hand, item.reserved, item.available) == (6, 0, 6)


def test_on_hand_cannot_go_below_what_is_reserved() -> None:
    item = StockItem("A", on_hand=10)
    item.reserve(6)
    with pytest.raises(InvalidStockLevel):
        item.set_on_hand(5)
    item.set_on_hand(6)
    assert item.available == 0


def test_adjustments_cannot_add_up_past_the_most_a_location_holds() -> None:
    item = StockItem("A", on_hand=MAX_ON_HAND - 1)
    item.adjust(1)
    with pytest.raises(InvalidStockLevel):
        item.adjust(1)
    assert item.on_hand == MAX_ON_HAND
