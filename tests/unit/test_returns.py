"""The rules of a return (domain/returns.py): what may come back, counted per unit and
per location it shipped from, and what the warehouse's receipt does to stock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.eligibility import Delivered, ReturnPolicy, Wanted, already_taken, plan_items
from domain.errors import NotReturnable, ReturnNotCancellable, ReturnNotReceivable, TooManyUnits
from domain.returns import Disposition, Return, ReturnItem, ReturnReason, ReturnStatus, StockMove

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
POLICY = ReturnPolicy(window=timedelta(days=30), ship_by=timedelta(days=14), review_threshold=0)
# Two parcels: MUG from the north (2) and the south (1), LAMP from the north.
DELIVERED = [
    Delivered("MUG", "north", 2, NOW - timedelta(days=3)),
    Delivered("LAMP", "north", 1, NOW - timedelta(days=3)),
    Delivered("MUG", "south", 1, NOW - timedelta(days=1)),
]
PRICES = {"MUG": 1_000, "LAMP": 5_000, "PEN": 100}


def want(sku: str, quantity: int) -> Wanted:
    return Wanted(sku, quantity, ReturnReason.NO_LONGER_NEEDED)


def plan(
    *wanted: Wanted, taken: dict[tuple[str, str], int] | None = None, **policy: Any
) -> list[ReturnItem]:
    return plan_items(list(wanted), DELIVERED, taken or {}, PRICES, replace(POLICY, **policy), NOW)


def a_return(items: list[ReturnItem], status: ReturnStatus = ReturnStatus.APPROVED) -> Return:
    deadline = NOW + timedelta(days=14)
    return Return("ret_1", "ord_1", "usr_1", "USD", items, status, deadline, "usr_1", "k", "f")


def test_units_come_back_to_the_locations_they_shipped_from_in_order() -> None:
    (mugs,) = plan(want("MUG", 3))

    assert [(s.location_id, s.quantity) for s in mugs.sources] == [("north", 2), ("south", 1)]
    assert mugs.value == 3_000


def test_units_in_an_earlier_return_cannot_come_back_twice() -> None:
    earlier = a_return(plan(want("MUG", 2)))
    cancelled = a_return(plan(want("MUG", 1)), ReturnStatus.CANCELLED)
    taken = already_taken([earlier, cancelled])

    (left,) = plan(want("MUG", 1), taken=taken)
    with pytest.raises(TooManyUnits):
        plan(want("MUG", 2), taken=taken)
    with pytest.raises(NotReturnable) as refused:
        plan(want("MUG", 1), taken=already_taken([a_return(plan(want("MUG", 3)))]))

    assert [(s.location_id, s.quantity) for s in left.sources] == [("south", 1)]
    assert refused.value.reasons == {"MUG": "already_returned"}


def test_every_sku_that_cannot_come_back_is_named_with_its_reason() -> None:
    with pytest.raises(NotReturnable) as refused:
        plan(
            want("PEN", 1),
            want("LAMP", 1),
            want("MUG", 1),
            final_sale=frozenset({"LAMP"}),
            windows={"MUG": timedelta(hours=12)},
        )

    assert refused.value.reasons == {
        "PEN": "not_delivered",
        "LAMP": "final_sale",
        "MUG": "window_expired",  # its last parcel arrived a day ago
    }


def test_the_window_counts_from_the_last_delivery_of_the_sku() -> None:
    assert plan(want("MUG", 1), window=timedelta(days=2))
    with pytest.raises(NotReturnable):
        plan(want("LAMP", 1), window=timedelta(days=2))


def test_a_receipt_restocks_first_and_writes_off_the_rest_where_they_shipped_from() -> None:
    rma = a_return(plan(want("MUG", 3)))

    moves = rma.receive({"MUG": Disposition(restock=1, damaged=1, missing=1)})

    assert moves == [StockMove("north", "MUG", 1, False), StockMove("north", "MUG", 1, True)]
    assert rma.status is ReturnStatus.RECEIVED
    assert rma.refund_due == 2_000  # missing units are not refunded


def test_a_receipt_must_account_for_every_unit_and_comes_once() -> None:
    rma = a_return(plan(want("MUG", 2)))

    with pytest.raises(TooManyUnits):
        rma.receive({"MUG": Disposition(restock=1)})
    with pytest.raises(TooManyUnits):
        rma.receive({"MUG": Disposition(restock=2), "LAMP": Disposition(restock=1)})
    rma.receive({"MUG": Disposition(restock=2)})
    with pytest.raises(ReturnNotReceivable):
        rma.receive({"MUG": Disposition(restock=2)})


def test_the_customer_cancels_until_the_parcel_travels_an_operator_until_received() -> None:
    travelling = a_return(plan(want("MUG", 1)), ReturnStatus.IN_TRANSIT)

    with pytest.raises(ReturnNotCancellable):
        travelling.cancel(by_operator=False)
    assert travelling.cancel(by_operator=True)
    assert not travelling.cancel(by_operator=True)  # twice answers the same


def test_only_a_return_not_yet_shipped_expires_and_only_past_its_deadline() -> None:
    waiting = a_return(plan(want("MUG", 1)))
    travelling = a_return(plan(want("MUG", 1)), ReturnStatus.IN_TRANSIT)

    assert not waiting.expire(NOW)
    assert waiting.expire(NOW + timedelta(days=15))
    assert not travelling.expire(NOW + timedelta(days=15))
