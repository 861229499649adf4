"""Names of the entries in an order's timeline (past tense: they happened)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ORDER_PLACED = "order.placed"
INVENTORY_RESERVED = "inventory.reserved"
INVENTORY_REFUSED = "inventory.refused"
INVENTORY_COMMITTED = "inventory.committed"
REVIEW_REQUESTED = "review.requested"
REVIEW_APPROVED = "review.approved"
REVIEW_REJECTED = "review.rejected"
REVIEW_TIMED_OUT = "review.timed_out"
PAYMENT_AUTHORIZED = "payment.authorized"
PAYMENT_CAPTURED = "payment.captured"
SHIPMENT_CREATED = "shipment.created"  # the order shipped: every parcel booked
SHIPMENT_BOOKED = "shipment.booked"  # one parcel booked
SHIPMENT_REALLOCATED = "shipment.reallocated"  # its location closed before booking
SHIPMENT_IN_TRANSIT = "shipment.in_transit"
SHIPMENT_DELIVERED = "shipment.delivered"
SHIPMENT_EXCEPTION = "shipment.exception"
ORDER_EDITED = "order.edited"
ORDER_CANCELLED = "order.cancelled"
ORDER_FAILED = "order.failed"
STOCK_RELEASED = "compensation.stock_released"
STOCK_RESTOCKED = "compensation.stock_restocked"
PAYMENT_VOIDED = "compensation.payment_voided"
PAYMENT_REFUNDED = "compensation.payment_refunded"
SHIPMENT_CANCELLED = "compensation.shipment_cancelled"
COMPENSATION_FAILED = "compensation.failed"
REFUND_REQUESTED = "refund.requested"
REFUND_SUCCEEDED = "refund.succeeded"
REFUND_FAILED = "refund.failed"
RETURN_REQUESTED = "return.requested"
RETURN_APPROVED = "return.approved"
RETURN_REJECTED = "return.rejected"
RETURN_LABEL_ISSUED = "return.label_issued"
RETURN_LABEL_FAILED = "return.label_failed"  # no label within its bound: an operator's call
RETURN_IN_TRANSIT = "return.in_transit"
RETURN_ARRIVED = "return.arrived"  # the carrier delivered it; the warehouse still inspects
RETURN_RECEIVED = "return.received"
RETURN_CLOSED = "return.closed"
RETURN_CANCELLED = "return.cancelled"
RETURN_EXPIRED = "return.expired"
RETURN_EXCHANGE_HELD = "return.exchange_held"  # the new items are held as a parcel
RETURN_EXCHANGE_SHIPPED = "return.exchange_shipped"
CLAIM_OPENED = "claim.opened"
CLAIM_REFUNDED = "claim.refunded"
CLAIM_SHIPPED = "claim.shipped"  # the replacement parcel is with the carrier
CLAIM_CLOSED = "claim.closed"  # the replacement was delivered
CLAIM_FAILED = "claim.failed"
# Something only a person can settle: see Attention for what, docs/saga.md for why.
ORDER_FLAGGED = "order.flagged"


@dataclass(frozen=True)
class OrderEvent:
    """One timeline entry. `key` makes it unique per order, so a retried write
    cannot record the same fact twice."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)
    key: str = ""

    @property
    def dedupe_key(self) -> str:
        return self.key or self.type
