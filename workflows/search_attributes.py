"""Search attributes that make the Temporal UI an ops console for orders, e.g.
`OrderStatus = "awaiting_review"` or `CustomerId = "usr_..." AND OrderTotal > 100000`.

They must be registered on the namespace: the dev server gets them at start, and
each worker registers any missing one (see docs/operations.md for Temporal Cloud).
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

ORDER_STATUS = SearchAttributeKey.for_keyword("OrderStatus")
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
CUSTOMER_TIER = SearchAttributeKey.for_keyword("CustomerTier")
ORDER_TOTAL = SearchAttributeKey.for_int("OrderTotal")
# Undo steps that gave up: `FailedCompensations IS NOT NULL` lists orders for an operator.
FAILED_COMPENSATIONS = SearchAttributeKey.for_keyword_list("FailedCompensations")
# Why the saga handed the order to a person (domain.order.Attention):
# `NeedsOperator = "delivery_overdue"`, or `NeedsOperator IS NOT NULL` for all of them.
NEEDS_OPERATOR = SearchAttributeKey.for_keyword_list("NeedsOperator")
# How many parcels the order ships in (one per location): `ShipmentCount > 1` lists
# the orders that split.
SHIPMENT_COUNT = SearchAttributeKey.for_int("ShipmentCount")
# The order a return, claim or refund is of: `OrderId = "ord_..."` lists everything that
# happened to an order after the sale, beside the order's own workflow.
ORDER_ID = SearchAttributeKey.for_keyword("OrderId")

# Name -> type, as `temporal server start-dev --search-attribute` wants them.
REGISTERED = {
    ORDER_STATUS.name: "Keyword",
    CUSTOMER_ID.name: "Keyword",
    CUSTOMER_TIER.name: "Keyword",
    ORDER_TOTAL.name: "Int",
    FAILED_COMPENSATIONS.name: "KeywordList",
    NEEDS_OPERATOR.name: "KeywordList",
    SHIPMENT_COUNT.name: "Int",
    ORDER_ID.name: "Keyword",
}
