"""The chaos run at a small size: every fault of `python -m devstack.chaos`, with orders
streaming through real processes over three locations (a third of them split in two
parcels, every fifth edited), then after the sale returns, claims and refunds of the
delivered ones while the payment provider goes down and the whole stack is killed;
afterwards every order, return, claim and refund settled and the books straight,
stock exact per location. Run it larger by hand (`--orders 1000 --clients 20`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.chaos import run

# A whole stack of its own: `make test` runs these beside the session stack's tests.
pytestmark = pytest.mark.own_stack


@pytest.mark.e2e
async def test_orders_survive_every_fault_and_the_books_stay_straight(
    stack_state: Path,
) -> None:
    report = await run(stack_state / "chaos", orders=30, concurrency=3, pause=2.0)

    print("\n".join(report.lines()))
    assert len(report.faults) == 11
    assert report.placed == 30
    assert report.server_errors == []
    assert report.unsettled == []
    assert report.violations == []
    assert report.failed_executions == []
    assert sum(report.outcomes.values()) == 30
    assert report.parcels[2] > 0  # orders that split shipped in two parcels
    assert sum(report.edits.values()) == 6  # orders 2, 7, 12, ... each answered once
    assert set(report.edits) <= {"200", "409 not-editable"}
    assert report.temporal_down_answers and set(report.temporal_down_answers) <= {"503"}
    delivered = report.outcomes["delivered"]
    assert sum(report.after_sale_answers.values()) >= delivered > 0
    assert report.after_sale["return closed"] == len(range(0, delivered, 3))
    replaced = len(range(2, delivered, 6))  # every other goodwill order is replaced instead
    exchanged = len(range(0, delivered, 6))  # every other return, poster for poster
    assert report.after_sale["claim closed"] == replaced
    assert report.after_sale["refund succeeded"] == delivered - replaced - exchanged
