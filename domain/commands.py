"""What the saga asks its activities to do, and what they answer.

One input and one output type per activity, so a field can be added later
without breaking the histories of orders already running.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.order import Address


@dataclass(frozen=True)
class LineRequest:
    sku: str
    quantity: int


@dataclass(frozen=True)
class ReserveStock:
    order_id: str
    customer_id: str
    lines: list[LineRequest]
    shipping_address: Address
    currency: str
    idempotency_key: str
    fingerprint: str


@dataclass(frozen=True)
class StockReservation:
    reserved: bool
    total: int = 0
    refused_skus: list[str] = field(default_factory=list)
    unavailable_skus: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RequestReview:
    order_id: str


@dataclass(frozen=True)
class RecordReview:
    order_id: str
    approved: bool
    reviewer_id: str | None = None
    note: str | None = None
    timed_out: bool = False


@dataclass(frozen=True)
class AuthorizePayment:
    order_id: str
    payment_token: str


@dataclass(frozen=True)
class PaymentAuthorized:
    authorization_id: str


@dataclass(frozen=True)
class CreateShipment:
    order_id: str


@dataclass(frozen=True)
class ShipmentCreated:
    shipment_id: str
    carrier: str
    tracking_number: str


@dataclass(frozen=True)
class CapturePayment:
    order_id: str


@dataclass(frozen=True)
class TrackShipment:
    order_id: str


@dataclass(frozen=True)
class TrackingEvent:
    event: str
    occurred_at: str


@dataclass(frozen=True)
class ShipmentTracking:
    """What the carrier says has happened to the order's parcel, oldest first."""

    events: list[TrackingEvent] = field(default_factory=list)


@dataclass(frozen=True)
class RecordCarrierEvent:
    order_id: str
    event: str
    occurred_at: str


@dataclass(frozen=True)
class ReleaseStock:
    order_id: str


@dataclass(frozen=True)
class VoidPayment:
    """Voids an authorization, or refunds it once captured."""

    order_id: str


@dataclass(frozen=True)
class CancelShipment:
    order_id: str


@dataclass(frozen=True)
class CloseOrder:
    order_id: str
    cancelled: bool
    failure_reason: str | None = None
    cancel_reason: str | None = None
    cancelled_by: str | None = None  # the user, or "temporal" for a cancel from its UI
    # Undo steps that gave up past their retry bound; flagged on the order.
    failed_compensations: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FlagOrder:
    """Marks the order for an operator (domain.order.Attention says why)."""

    order_id: str
    attention: str
    detail: str


@dataclass(frozen=True)
class SendNotification:
    order_id: str
    milestone: str


@dataclass(frozen=True)
class PurgeExpiredKeys:
    """Deletes idempotency keys whose window has passed."""


@dataclass(frozen=True)
class KeysPurged:
    deleted: int
