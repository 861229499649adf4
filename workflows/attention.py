"""What an after-sale workflow does when it stops short of its end for an operator.

The order's own saga flags the order (`orders_flagged_total`); returns, exchanges and
claims have no order status to flag, so they say it twice where operators look: their
details in the Temporal UI start with NEEDS AN OPERATOR, and the worker's SDK metrics
count it (`orders_after_sale_needs_operator_total{what}`, the AfterSaleNeedsOperator
alert). The workflow meter records nothing while a history replays, so a fact is
counted once however often its workflow is replayed.
"""

from __future__ import annotations

from enum import StrEnum

from temporalio import workflow

NEEDS_OPERATOR = "orders_after_sale_needs_operator"


class Stuck(StrEnum):
    RETURN_LABEL = "return_label"  # the carrier gave no label within the bound
    EXCHANGE_RELEASE = "exchange_release"  # the exchange's hold or authorization stays
    EXCHANGE_SHIPMENT = "exchange_shipment"  # the returned units are in, the new ones not out
    CLAIM_REPLACEMENT = "claim_replacement"  # no carrier took the replacement


def needs_operator(what: Stuck, why: str) -> None:
    workflow.set_current_details(f"NEEDS AN OPERATOR: {why}")
    counter = workflow.metric_meter().create_counter(
        NEEDS_OPERATOR,
        "After-sale processes that stopped for an operator, by what is stuck.",
    )
    counter.add(1, {"what": what.value})
