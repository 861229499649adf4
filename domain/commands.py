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
class PlannedShipment:
    """One parcel of the order as planned at reservation: where from, what it is worth."""

    number: int
    location_id: str
    value: int
    units: int


@dataclass(frozen=True)
class StockReservation:
    reserved: bool
    total: int = 0
    refused_skus: list[str] = field(default_factory=list)
    unavailable_skus: list[str] = field(default_factory=list)
    # One per location the units are held at (empty in histories from before).
    shipments: list[PlannedShipment] = field(default_factory=list)


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
    # What the workflow knows from the reservation (and any edit since): given, the
    # step calls the provider without reading the order first. None: histories of
    # before, whose step reads them.
    amount: int | None = None
    currency: str | None = None


@dataclass(frozen=True)
class PaymentAuthorized:
    authorization_id: str


@dataclass(frozen=True)
class CreateShipment:
    order_id: str
    number: int | None = None  # None: the whole order as one parcel (orders of before)


@dataclass(frozen=True)
class ShipmentCreated:
    shipment_id: str
    carrier: str
    tracking_number: str
    number: int | None = None


@dataclass(frozen=True)
class CapturePayment:
    order_id: str
    # One parcel's part (its value); the final one releases what is left. None: the
    # whole authorization at once (orders of before).
    number: int | None = None
    amount: int = 0
    final: bool = True
    # The authorization the workflow was answered with; None: read from the order.
    authorization_id: str | None = None


@dataclass(frozen=True)
class TrackShipment:
    order_id: str


@dataclass(frozen=True)
class TrackingEvent:
    event: str
    occurred_at: str
    tracking_number: str | None = None


@dataclass(frozen=True)
class ShipmentTracking:
    """What the carrier says has happened to the order's parcel, oldest first."""

    events: list[TrackingEvent] = field(default_factory=list)


@dataclass(frozen=True)
class RecordCarrierEvent:
    order_id: str
    event: str
    occurred_at: str
    tracking_number: str | None = None  # None: the order's one parcel (orders of before)
    # News that came in with it, recorded after it in the same transaction (empty in
    # histories of before saga 5, which recorded each piece of news on its own).
    later: list[TrackingEvent] = field(default_factory=list)

    def news(self) -> list[TrackingEvent]:
        """Everything to record, oldest first."""
        return [TrackingEvent(self.event, self.occurred_at, self.tracking_number), *self.later]


@dataclass(frozen=True)
class PlanEdit:
    """Prices an edit and holds the units it adds (only prices it, on a dry run)."""

    order_id: str
    edit_id: str
    lines: list[LineRequest] | None = None  # the new full list; None: the lines stay
    shipping_address: Address | None = None  # None: the address stays
    dry_run: bool = False


@dataclass(frozen=True)
class PricedLine:
    sku: str
    quantity: int
    unit_price: int


@dataclass(frozen=True)
class EditQuote:
    """What an edit makes of the order, or why it cannot be made."""

    total: int = 0
    difference: int = 0  # > 0: the customer pays more; < 0: the rest is released
    lines: list[PricedLine] = field(default_factory=list)
    refused_skus: list[str] = field(default_factory=list)  # out of stock everywhere
    unavailable_skus: list[str] = field(default_factory=list)  # not for sale
    not_editable: str | None = None  # the order's status, when it is too late


@dataclass(frozen=True)
class ApplyEdit:
    order_id: str
    edit_id: str


@dataclass(frozen=True)
class AbandonEdit:
    order_id: str
    edit_id: str


@dataclass(frozen=True)
class IncreaseAuthorization:
    """Raises the order's authorization by an edit's difference."""

    order_id: str
    edit_id: str
    amount: int


@dataclass(frozen=True)
class IssueRefund:
    """Hands a recorded refund to the payment provider, under its own key."""

    refund_id: str


@dataclass(frozen=True)
class RecordRefundFailure:
    refund_id: str
    why: str


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


# -- returns (workflows/returns.py) --------------------------------------------------


@dataclass(frozen=True)
class ReturnStep:
    """A step of a return's workflow on the return named (workflows/returns.py):
    approving it, its label, reading it (one past its deadline expires then), calling
    its label off, and its exchange's steps."""

    return_id: str


@dataclass(frozen=True)
class RecordLabelFailure:
    return_id: str
    why: str


@dataclass(frozen=True)
class ReturnState:
    status: str
    refund_id: str | None = None
    refund_amount: int | None = None
    currency: str = ""


# -- claims (workflows/claims.py) ----------------------------------------------------


@dataclass(frozen=True)
class ShipReplacement:
    claim_id: str


@dataclass(frozen=True)
class ReleaseReplacement:
    claim_id: str
    why: str


@dataclass(frozen=True)
class AuthorizeExchange:
    return_id: str
    payment_token: str


@dataclass(frozen=True)
class ReleaseExchange:
    return_id: str
    why: str
