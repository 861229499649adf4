"""The Order aggregate: the one place that knows which status may follow which.

Every method is idempotent: asking for the state the order is already in is a
no-op that returns False, so an activity retried after its commit landed but its
reply was lost changes nothing and records no second event.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from domain import events
from domain.errors import IllegalTransition
from domain.events import OrderEvent
from domain.money import Money
from domain.refunds import Refund
from domain.shipments import Shipment, ShipmentState, all_booked, all_delivered, shipment_id


class OrderStatus(StrEnum):
    PENDING = "pending"
    RESERVED = "reserved"
    AWAITING_REVIEW = "awaiting_review"
    AUTHORIZED = "authorized"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES

    @property
    def is_cancellable(self) -> bool:
        """Once the parcel has left, cancelling is the carrier's business, not ours."""
        return OrderStatus.CANCELLED in _ALLOWED[self]


class FailureReason(StrEnum):
    OUT_OF_STOCK = "out_of_stock"
    PRODUCT_UNAVAILABLE = "product_unavailable"
    PAYMENT_DECLINED = "payment_declined"
    PAYMENT_UNAVAILABLE = "payment_unavailable"
    SHIPPING_REFUSED = "shipping_refused"
    SHIPPING_UNAVAILABLE = "shipping_unavailable"
    CAPTURE_FAILED = "capture_failed"
    REVIEW_REJECTED = "review_rejected"
    REVIEW_TIMED_OUT = "review_timed_out"
    # Our own books refused a step the saga had to take (a defect, or a hand edit):
    # everything is undone, and the order is flagged for an operator.
    INTERNAL_ERROR = "internal_error"


class Attention(StrEnum):
    """Why an order waits for a person. The saga flags it (timeline `order.flagged`,
    search attribute `NeedsOperator`) and goes on as far as it safely can."""

    # The parcel could not be called back and the payment could not be taken: the
    # authorization is kept, nothing is voided, the goods are with the customer.
    CAPTURE_FAILED = "capture_failed"
    # Not delivered within the delivery window: tracking goes on, slower.
    DELIVERY_OVERDUE = "delivery_overdue"
    # The carrier reported an exception (lost, damaged, returned to sender).
    CARRIER_EXCEPTION = "carrier_exception"
    # A bookkeeping step was refused by our own rules after the parcel was booked.
    STEP_REFUSED = "step_refused"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    VOIDED = "voided"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class ShipmentStatus(StrEnum):
    CREATED = "created"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    CANCELLED = "cancelled"


class CarrierEvent(StrEnum):
    """What a carrier reports about a parcel, by webhook or when asked."""

    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    EXCEPTION = "exception"


class StockStatus(StrEnum):
    """Where the order's units are: held aside, gone out the door, or back on the shelf."""

    NONE = "none"
    HELD = "held"
    COMMITTED = "committed"
    RELEASED = "released"
    RESTOCKED = "restocked"


_S = OrderStatus
# Where an order ends: nothing follows any of these.
TERMINAL_STATUSES = frozenset({_S.DELIVERED, _S.CANCELLED, _S.FAILED})
_ALLOWED: dict[OrderStatus, set[OrderStatus]] = {
    _S.PENDING: {_S.RESERVED, _S.FAILED, _S.CANCELLED},
    _S.RESERVED: {_S.AWAITING_REVIEW, _S.AUTHORIZED, _S.FAILED, _S.CANCELLED},
    _S.AWAITING_REVIEW: {_S.RESERVED, _S.FAILED, _S.CANCELLED},
    # An edit that raises the total past the review threshold holds it for review again.
    _S.AUTHORIZED: {_S.AWAITING_REVIEW, _S.SHIPPED, _S.FAILED, _S.CANCELLED},
    _S.SHIPPED: {_S.DELIVERED, _S.FAILED},
    _S.DELIVERED: set(),
    _S.CANCELLED: set(),
    _S.FAILED: set(),
}


# Before any parcel is booked, an order can still change (an edit).
EDITABLE = frozenset({_S.PENDING, _S.RESERVED, _S.AWAITING_REVIEW, _S.AUTHORIZED})


@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str | None = None


class _Line(Protocol):
    @property
    def sku(self) -> str: ...

    @property
    def quantity(self) -> int: ...


def quantities_by_sku(lines: Iterable[_Line]) -> dict[str, int]:
    """Units wanted per sku: the same sku may come on several lines."""
    wanted: dict[str, int] = {}
    for line in lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    return wanted


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int
    unit_price: Money

    @property
    def line_total(self) -> Money:
        return self.unit_price.times(self.quantity)


@dataclass
class Order:
    id: str
    customer_id: str
    lines: list[OrderLine]
    shipping_address: Address
    currency: str
    status: OrderStatus = OrderStatus.PENDING
    stock_status: StockStatus = StockStatus.NONE
    payment_status: PaymentStatus = PaymentStatus.PENDING
    authorization_id: str | None = None
    shipment_id: str | None = None
    shipment_status: ShipmentStatus | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    failure_reason: FailureReason | None = None
    failed_compensations: list[str] = field(default_factory=list)
    refunded_total: int = 0  # refunds the provider confirmed, in minor units
    placed_at: datetime | None = None  # set once stored
    new_events: list[OrderEvent] = field(default_factory=list)

    @property
    def quantities(self) -> dict[str, int]:
        return quantities_by_sku(self.lines)

    @classmethod
    def place(
        cls,
        order_id: str,
        customer_id: str,
        lines: list[OrderLine],
        shipping_address: Address,
        currency: str,
    ) -> Order:
        order = cls(order_id, customer_id, lines, shipping_address, currency)
        order._record(events.ORDER_PLACED, total=order.total.amount, currency=currency)
        return order

    @property
    def total(self) -> Money:
        total = Money.zero(self.currency)
        for line in self.lines:
            total = total + line.line_total
        return total

    # -- the happy path ---------------------------------------------------------

    def reserve(self, allocation: Sequence[str] = ()) -> bool:
        """Its units are held; `allocation` says where from and why, in words."""
        if not self._move(OrderStatus.RESERVED):
            return False
        self.stock_status = StockStatus.HELD
        data: dict[str, Any] = {
            "lines": [{"sku": line.sku, "quantity": line.quantity} for line in self.lines]
        }
        if allocation:
            data["allocation"] = list(allocation)
        self._record(events.INVENTORY_RESERVED, **data)
        return True

    def refuse(self, reason: FailureReason, skus: list[str]) -> bool:
        """The order could not be placed: some lines are out of stock or not for sale."""
        if self.status is OrderStatus.FAILED:
            return False
        self._record(events.INVENTORY_REFUSED, skus=skus, reason=reason.value)
        return self.fail(reason)

    def request_review(self) -> bool:
        if not self._move(OrderStatus.AWAITING_REVIEW):
            return False
        self._record(events.REVIEW_REQUESTED, total=self.total.amount)
        return True

    def approve(self, reviewer_id: str, note: str | None) -> bool:
        """Back to where it was held: reserved, or authorized when an edit sent it back."""
        back = (
            OrderStatus.AUTHORIZED
            if self.payment_status is PaymentStatus.AUTHORIZED
            else OrderStatus.RESERVED
        )
        if self.status is not OrderStatus.AWAITING_REVIEW:
            if self.status is back:
                return False
            raise IllegalTransition(self.id, self.status, "approved")
        self.status = back
        self._record(events.REVIEW_APPROVED, reviewer_id=reviewer_id, note=note)
        return True

    def reject(self, reviewer_id: str | None, note: str | None, timed_out: bool = False) -> bool:
        """Records the decision; the order fails once its stock is back."""
        if self.status is not OrderStatus.AWAITING_REVIEW:
            if self.status is OrderStatus.FAILED:
                return False
            raise IllegalTransition(self.id, self.status, "rejected")
        kind = events.REVIEW_TIMED_OUT if timed_out else events.REVIEW_REJECTED
        self._record(kind, reviewer_id=reviewer_id, note=note)
        return True

    def authorize(self, authorization_id: str) -> bool:
        if not self._move(OrderStatus.AUTHORIZED):
            return False
        self.payment_status = PaymentStatus.AUTHORIZED
        self.authorization_id = authorization_id
        self._record(events.PAYMENT_AUTHORIZED, authorization_id=authorization_id)
        return True

    def ship(self, shipment_id: str, carrier: str, tracking_number: str) -> bool:
        if not self._move(OrderStatus.SHIPPED):
            return False
        self.shipment_id = shipment_id
        self.shipment_status = ShipmentStatus.CREATED
        self.carrier = carrier
        self.tracking_number = tracking_number
        self.stock_status = StockStatus.COMMITTED
        self._record(events.SHIPMENT_CREATED, carrier=carrier, tracking_number=tracking_number)
        self._record(events.INVENTORY_COMMITTED)
        return True

    def capture(self) -> bool:
        """The whole authorization is taken at once (a one-parcel order of before)."""
        if self.payment_status is PaymentStatus.CAPTURED:
            return False
        if self.payment_status is not PaymentStatus.AUTHORIZED:
            raise IllegalTransition(self.id, f"payment {self.payment_status}", "captured")
        self.payment_status = PaymentStatus.CAPTURED
        self._record(events.PAYMENT_CAPTURED, amount=self.total.amount)
        return True

    def record_carrier_event(self, event: str, occurred_at: str) -> bool:
        """Applies a tracking update to the order's one parcel (orders of before);
        the same (event, time) twice is applied once."""
        if self.status is not OrderStatus.SHIPPED:
            return False
        # The key of the same news of its parcel 1 (`shipment_tracked`): news the
        # webhook recorded of its one parcel is not written twice.
        self._carrier_event(event, occurred_at, f"carrier:1:{event}:{occurred_at}", {})
        if event == CarrierEvent.DELIVERED:
            self.status = OrderStatus.DELIVERED
        return True

    def edit(
        self, edit_id: str, lines: Sequence[OrderLine], address: Address, difference: int
    ) -> None:
        """Takes an edit made before any parcel was booked: the new full list of lines
        (each unit at the price it was sold at, new skus at today's) and address."""
        if self.status not in EDITABLE:
            raise IllegalTransition(self.id, self.status, "edited")
        before = self.lines
        self._record(
            events.ORDER_EDITED,
            key=f"{events.ORDER_EDITED}:{edit_id}",
            edit_id=edit_id,
            before=[_line_data(line) for line in before],
            after=[_line_data(line) for line in lines],
            difference=difference,
            total=sum(line.line_total.amount for line in lines),
            **({"shipping_address": asdict(address)} if address != self.shipping_address else {}),
        )
        self.lines = list(lines)
        self.shipping_address = address

    # -- shipments: one parcel per location ------------------------------------

    def shipment_booked(self, shipment: Shipment, shipments: Sequence[Shipment]) -> None:
        """Records a parcel the carrier took (after `shipment.book()`); the first one is
        the order's `shipment`, and the order is shipped once every one is booked."""
        self._record(
            events.SHIPMENT_BOOKED,
            key=f"{events.SHIPMENT_BOOKED}:{shipment.number}",
            shipment_id=shipment.id,
            location_id=shipment.location_id,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            items=[{"sku": item.sku, "quantity": item.quantity} for item in shipment.items],
        )
        first = shipments[0]
        if all_booked(shipments) and first.carrier and first.tracking_number:
            self.ship(first.carrier_shipment_id or first.id, first.carrier, first.tracking_number)

    def shipment_moved(self, shipment: Shipment, closed: str, reasons: Sequence[str]) -> None:
        """A parcel's location closed before booking: its units are held elsewhere now."""
        self._record(
            events.SHIPMENT_REALLOCATED,
            key=f"{events.SHIPMENT_REALLOCATED}:{shipment.number}:{shipment.location_id}",
            shipment_id=shipment.id,
            from_location=closed,
            to_location=shipment.location_id,
            allocation=[f"{closed} was closed; {reason}" for reason in reasons],
        )

    def shipment_captured(self, shipment: Shipment, final: bool) -> None:
        """Records one parcel's part of the payment (after `shipment.capture()`); the
        final one releases what is left of the authorization."""
        if self.payment_status is not PaymentStatus.AUTHORIZED:
            raise IllegalTransition(self.id, f"payment {self.payment_status}", "captured")
        self._record(
            events.PAYMENT_CAPTURED,
            key=f"{events.PAYMENT_CAPTURED}:{shipment.number}",
            amount=shipment.captured,
            shipment_id=shipment.id,
            final=final,
        )
        if final:
            self.payment_status = PaymentStatus.CAPTURED

    def shipment_tracked(
        self, shipment: Shipment, event: str, occurred_at: str, shipments: Sequence[Shipment]
    ) -> None:
        """Records a carrier event of one parcel (after `shipment.track()`); the order
        is delivered once every parcel is."""
        left = sum(1 for s in shipments if s.state is not ShipmentState.DELIVERED)
        data: dict[str, Any] = {"shipment_id": shipment.id, "shipments_left": left}
        self._carrier_event(
            event, occurred_at, f"carrier:{shipment.number}:{event}:{occurred_at}", data
        )
        if self.status is OrderStatus.SHIPPED and all_delivered(shipments):
            self.status = OrderStatus.DELIVERED

    def track_parcel(
        self, tracking_number: str, event: str, occurred_at: str, shipments: Sequence[Shipment]
    ) -> list[Shipment]:
        """Applies a carrier event to the parcel with this tracking number; returns the
        parcels it changed (none for news of a parcel not, or no longer, on its way)."""
        changed = []
        for parcel in shipments:
            if parcel.tracking_number == tracking_number and parcel.track(event, occurred_at):
                self.shipment_tracked(parcel, event, occurred_at, shipments)
                changed.append(parcel)
        return changed

    def _carrier_event(self, event: str, at: str, key: str, data: dict[str, Any]) -> None:
        kind = {
            CarrierEvent.IN_TRANSIT: events.SHIPMENT_IN_TRANSIT,
            CarrierEvent.DELIVERED: events.SHIPMENT_DELIVERED,
            CarrierEvent.EXCEPTION: events.SHIPMENT_EXCEPTION,
        }[CarrierEvent(event)]
        if data.get("shipment_id", shipment_id(self.id, 1)) == shipment_id(self.id, 1):
            self.shipment_status = ShipmentStatus(event)  # `shipment` is the first parcel
        self._record(kind, key=key, occurred_at=at, **data)

    # -- compensation -----------------------------------------------------------

    def stock_put_back(self, done: Iterable[str]) -> bool:
        """Records what compensation did with the order's units, per parcel
        (`Shipment.put_back()`): held ones released, called-off ones restocked. Units
        that left with a parcel nobody called back are not on the shelf: they stay
        committed."""
        done = set(done)
        if not done:
            return False
        if "released" in done:
            self._record(events.STOCK_RELEASED)
        if "restocked" in done:
            self._record(events.STOCK_RESTOCKED)
        self.stock_status = StockStatus.RESTOCKED if "restocked" in done else StockStatus.RELEASED
        return True

    def void_payment(self, authorization_id: str) -> bool:
        if self.payment_status in (PaymentStatus.VOIDED, PaymentStatus.REFUNDED):
            return False
        self.payment_status = PaymentStatus.VOIDED
        self._record(events.PAYMENT_VOIDED, authorization_id=authorization_id)
        return True

    def refund_payment(self, authorization_id: str) -> bool:
        if self.payment_status is PaymentStatus.REFUNDED:
            return False
        self.payment_status = PaymentStatus.REFUNDED
        self._record(events.PAYMENT_REFUNDED, authorization_id=authorization_id)
        return True

    # -- refunds (domain/refunds.py) -------------------------------------------

    def compensation_refunded(self, refund: Refund) -> None:
        """The saga gave back what it had captured (the provider already did it): in
        the ledger like any refund, without an entry of its own beside
        `compensation.payment_refunded`."""
        self.refunded_total += refund.amount

    def refund_requested(self, refund: Refund) -> None:
        self._record(
            events.REFUND_REQUESTED,
            key=f"{events.REFUND_REQUESTED}:{refund.id}",
            refund_id=refund.id,
            amount=refund.amount,
            reason=refund.reason.value,
            note=refund.note,
            by=refund.requested_by,
        )

    def refund_succeeded(self, refund: Refund, captured: int) -> None:
        """The provider gave the money back: `refunded_total` and the payment's status
        follow (partly or wholly refunded, of what was captured)."""
        self.refunded_total += refund.amount
        self.payment_status = (
            PaymentStatus.REFUNDED
            if self.refunded_total >= captured
            else PaymentStatus.PARTIALLY_REFUNDED
        )
        self._record(
            events.REFUND_SUCCEEDED,
            key=f"{events.REFUND_SUCCEEDED}:{refund.id}",
            refund_id=refund.id,
            amount=refund.amount,
            refunded_total=self.refunded_total,
        )

    def refund_failed(self, refund: Refund) -> None:
        self._record(
            events.REFUND_FAILED,
            key=f"{events.REFUND_FAILED}:{refund.id}:{refund.failure}",
            refund_id=refund.id,
            amount=refund.amount,
            failure=refund.failure,
        )

    def after_sale(self, event_type: str, subject_id: str, **data: Any) -> None:
        """A step of a return (or another process after the sale) on the order's
        timeline, once per subject and step."""
        self._record(event_type, key=f"{event_type}:{subject_id}", **data)

    def cancel_shipment(self, shipment_id: str) -> bool:
        if self.shipment_status is ShipmentStatus.CANCELLED:
            return False
        self.shipment_status = ShipmentStatus.CANCELLED
        self._record(events.SHIPMENT_CANCELLED, shipment_id=shipment_id)
        return True

    def flag_failed_compensation(self, step: str) -> bool:
        """An undo step gave up: the order needs an operator (see the runbook)."""
        if step in self.failed_compensations:
            return False
        self.failed_compensations.append(step)
        self._record(events.COMPENSATION_FAILED, key=f"compensation_failed:{step}", step=step)
        return True

    def flag(self, attention: Attention, detail: str) -> None:
        """The order needs a person for this. Keyed by the kind of attention, so the
        timeline holds it once however often it is recorded."""
        self._record(
            events.ORDER_FLAGGED,
            key=f"flagged:{attention.value}",
            reason=attention.value,
            detail=detail,
        )

    # -- endings ----------------------------------------------------------------

    def cancel(self, reason: str | None, by: str | None = None) -> bool:
        called_off = self.shipment_status is ShipmentStatus.CANCELLED
        if self.status is OrderStatus.SHIPPED and (
            called_off or "cancel_shipment" in self.failed_compensations
        ):
            # A cancel taken while the parcel was being booked: the saga has called the
            # booking off at the carrier (or failed to, and an operator is told).
            self.status = OrderStatus.CANCELLED
            self._record(events.ORDER_CANCELLED, reason=reason, by=by)
            return True
        if not self._move(OrderStatus.CANCELLED):
            return False
        self._record(events.ORDER_CANCELLED, reason=reason, by=by)
        return True

    def fail(self, reason: FailureReason) -> bool:
        if not self._move(OrderStatus.FAILED):
            return False
        self.failure_reason = reason
        self._record(events.ORDER_FAILED, failure_reason=reason.value)
        return True

    # -- internals --------------------------------------------------------------

    def _move(self, wanted: OrderStatus) -> bool:
        if self.status is wanted:
            return False
        if wanted not in _ALLOWED[self.status]:
            raise IllegalTransition(self.id, self.status, wanted)
        self.status = wanted
        return True

    def _record(self, event_type: str, key: str = "", **data: Any) -> None:
        self.new_events.append(OrderEvent(event_type, data, key))


def _line_data(line: OrderLine) -> dict[str, Any]:
    return {"sku": line.sku, "quantity": line.quantity, "unit_price": line.unit_price.amount}
