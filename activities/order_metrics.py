"""Business and provider metrics of the worker process.

Each is recorded once per fact: handlers record only when the domain method reported
a change, so an activity retried after its commit does not count twice.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import Counter, Histogram

from domain.order import Order
from domain.refunds import RefundReason

ORDERS_PLACED = Counter("orders_placed_total", "Orders whose stock was reserved.")
ORDERS_COMPLETED = Counter(
    "orders_completed_total",
    "Orders that reached a terminal status, by outcome and failure reason.",
    ["outcome", "failure_reason"],
)
ORDER_VALUE = Counter(
    "orders_value_minor_units_total",
    "Order totals in minor units of the currency, by outcome.",
    ["outcome", "currency"],
)
COMPENSATIONS = Counter(
    "orders_compensations_total", "Compensations that undid something, by step.", ["step"]
)
COMPENSATION_FAILURES = Counter(
    "orders_compensation_failures_total",
    "Undo steps that gave up past their retry bound, by step: each needs an operator.",
    ["step"],
)
SHIPMENT_EXCEPTIONS = Counter(
    "orders_shipment_exceptions_total",
    "Carrier reports that a parcel ran into trouble (damaged, undeliverable, ...).",
)
ORDERS_FLAGGED = Counter(
    "orders_flagged_total",
    "Orders flagged for an operator, by reason (domain.order.Attention).",
    ["reason"],
)
SHIPMENTS_PER_ORDER = Histogram(
    "orders_shipments",
    "Parcels an order ships in (one per location its units are held at); "
    "the split rate is the share above one.",
    buckets=(1, 2, 3, 4, 6, 10),
)
ORDER_EDITS = Counter(
    "orders_edits_total",
    "Order edits by outcome: applied, declined (the card refused the difference), "
    "out_of_stock, unavailable (a sku not for sale), not_editable, priced (a dry run).",
    ["outcome"],
)
REFUNDS = Counter(
    "orders_refunds_total",
    "Refunds by outcome: succeeded, or failed (given up past the bound: an operator "
    "retries or settles it, see the RefundFailed runbook).",
    ["outcome"],
)
REFUNDED = Counter(
    "orders_refunded_minor_units_total", "Money refunded to customers, in minor units."
)
REFUND_SECONDS = Histogram(
    "orders_refund_seconds",
    "Time from recording a refund to the provider paying it, by why it was made "
    "(a return's: from the warehouse's receipt).",
    ["reason"],
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600),
)
RETURNS = Counter(
    "orders_returns_total",
    "Returns by how they ended here: closed (refunded) or expired (never shipped back).",
    ["outcome"],
)
MILESTONE_SECONDS = Histogram(
    "orders_milestone_seconds",
    "Time from placing an order to each milestone.",
    ["milestone"],
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 7 * 24 * 3600),
)


def milestone_reached(order: Order, milestone: str) -> None:
    if order.placed_at is not None:
        elapsed = (datetime.now(UTC) - order.placed_at).total_seconds()
        MILESTONE_SECONDS.labels(milestone).observe(max(0.0, elapsed))


def order_completed(order: Order) -> None:
    outcome = order.status.value
    reason = order.failure_reason.value if order.failure_reason else ""
    ORDERS_COMPLETED.labels(outcome, reason).inc()
    ORDER_VALUE.labels(outcome, order.currency).inc(order.total.amount)
    milestone_reached(order, outcome)


# Every known label set starts at zero, so each family is present (and rates are
# defined) before its first event.
for _step in ("release_stock", "void_payment", "cancel_shipment"):
    COMPENSATIONS.labels(_step)
    COMPENSATION_FAILURES.labels(_step)


for _outcome in ("closed", "expired"):
    RETURNS.labels(_outcome)
for _reason in RefundReason:
    REFUND_SECONDS.labels(_reason.value)
