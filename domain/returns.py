"""Returns (RMA): units of a delivered order coming back, as their own process.

A return is asked for per sku and counted per unit: a unit can be in at most one
return that is live or closed. It is reviewed when its value is above the threshold,
approved with a label from the carrier, shipped back by its deadline (else it
expires), and received by the warehouse, which says of every unit whether it goes
back on the shelf (restock), is written off (damaged) or never came (missing). What
came back is refunded through the refunds ledger; the return closes once the
provider has paid it.

    requested ─┬─> approved ──> in_transit ──> received ──> closed
               └─> awaiting_review ─┬─> approved
                                    └─> rejected
    (requested | awaiting_review | approved) ──> cancelled | expired
    in_transit ──> cancelled (ops and admin only)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.errors import (
    ReturnNotCancellable,
    ReturnNotReceivable,
    ReturnNotReviewable,
    TooManyUnits,
)


class ReturnReason(StrEnum):
    DAMAGED = "damaged"
    WRONG_ITEM = "wrong_item"
    NOT_AS_DESCRIBED = "not_as_described"
    NO_LONGER_NEEDED = "no_longer_needed"
    OTHER = "other"


class ClaimReason(StrEnum):
    """Why delivered units are compensated without coming back (domain/claims.py)."""

    MISSING_ITEM = "missing_item"
    DAMAGED = "damaged"
    WRONG_ITEM = "wrong_item"
    OTHER = "other"


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    AWAITING_REVIEW = "awaiting_review"
    APPROVED = "approved"  # the label follows from the carrier
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"  # inspected; its refund is with the provider
    CLOSED = "closed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def holds_units(self) -> bool:
        """Whether its units count as returned (or on their way back)."""
        return self not in (ReturnStatus.REJECTED, ReturnStatus.CANCELLED, ReturnStatus.EXPIRED)


_TERMINAL = frozenset(
    {ReturnStatus.CLOSED, ReturnStatus.REJECTED, ReturnStatus.CANCELLED, ReturnStatus.EXPIRED}
)
# Waiting for the customer's parcel: the deadline applies.
SHIP_BY_APPLIES = (ReturnStatus.REQUESTED, ReturnStatus.AWAITING_REVIEW, ReturnStatus.APPROVED)


@dataclass(frozen=True)
class Source:
    """Where returned units of a sku shipped from: where a restock puts them back."""

    location_id: str
    quantity: int


@dataclass(frozen=True)
class Disposition:
    """What the warehouse found, per sku: back on the shelf, written off, never came."""

    restock: int = 0
    damaged: int = 0
    missing: int = 0

    @property
    def total(self) -> int:
        return self.restock + self.damaged + self.missing

    @property
    def refunded_units(self) -> int:
        return self.restock + self.damaged


@dataclass(frozen=True)
class ReturnItem:
    """Units of one sku in a return, or in a claim (with the claim's reasons)."""

    sku: str
    quantity: int
    reason: ReturnReason | ClaimReason
    unit_price: int  # what the order charged for one, in minor units
    sources: tuple[Source, ...]
    note: str | None = None
    received: Disposition | None = None

    @property
    def value(self) -> int:
        return self.unit_price * self.quantity


class ExchangeStatus(StrEnum):
    """Where the new items of an exchange are."""

    ASKED = "asked"  # nothing held yet: the return awaits approval
    HELD = "held"  # held as a parcel of the order; a difference due is authorized
    SHIPPED = "shipped"  # booked with the carrier once the return was received
    RELEASED = "released"  # the return ended without it: units back, authorization void


@dataclass(frozen=True)
class ExchangeLine:
    sku: str
    quantity: int
    unit_price: int  # today's price, when the exchange was asked for


@dataclass
class Exchange:
    """New items for returned ones. `difference` is their value less the returned
    units' value at the order's prices: above zero the customer pays it (authorized
    at approval, captured when the exchange ships), below zero it is refunded."""

    items: list[ExchangeLine]
    difference: int
    status: ExchangeStatus = ExchangeStatus.ASKED
    shipment_number: int | None = None  # the new parcel of the order
    authorization_id: str | None = None  # of the difference, when one is due

    @property
    def value(self) -> int:
        return sum(line.unit_price * line.quantity for line in self.items)


@dataclass(frozen=True)
class StockMove:
    """A restock or a write-off at a location, with the reason the inventory keeps."""

    location_id: str
    sku: str
    quantity: int
    written_off: bool


@dataclass
class Return:
    id: str
    order_id: str
    customer_id: str
    currency: str
    items: list[ReturnItem]
    status: ReturnStatus
    expires_at: datetime
    requested_by: str
    idempotency_key: str
    fingerprint: str
    refund_id: str | None = None
    refund_amount: int | None = None
    refund_status: str | None = None  # the ledger's word on its refund (domain/refunds.py)
    label_carrier: str | None = None
    label_tracking_number: str | None = None
    label_shipment_id: str | None = None
    exchange: Exchange | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def value(self) -> int:
        return sum(item.value for item in self.items)

    @property
    def holds_units(self) -> bool:
        return self.status.holds_units

    @property
    def units(self) -> dict[str, int]:
        return {item.sku: item.quantity for item in self.items}

    def approve(self) -> bool:
        if self.status is ReturnStatus.APPROVED:
            return False
        if self.status not in (ReturnStatus.REQUESTED, ReturnStatus.AWAITING_REVIEW):
            raise ReturnNotReviewable.in_status(self.status)
        self.status = ReturnStatus.APPROVED
        return True

    def reject(self) -> None:
        if self.status is not ReturnStatus.AWAITING_REVIEW:
            raise ReturnNotReviewable.in_status(self.status)
        self.status = ReturnStatus.REJECTED

    def exchange_held(self, shipment_number: int) -> bool:
        if self.exchange is None or self.exchange.status is not ExchangeStatus.ASKED:
            return False
        self.exchange.status = ExchangeStatus.HELD
        self.exchange.shipment_number = shipment_number
        return True

    def exchange_refused(self) -> bool:
        """The new items cannot be had (out of stock, or the difference declined): the
        approved return is rejected before any label, its exchange released."""
        if self.exchange is None or self.status is not ReturnStatus.APPROVED:
            return False
        self.exchange.status = ExchangeStatus.RELEASED
        self.status = ReturnStatus.REJECTED
        return True

    def labelled(self, carrier: str, tracking_number: str, shipment_id: str) -> bool:
        if self.label_tracking_number is not None:
            return False
        self.label_carrier = carrier
        self.label_tracking_number = tracking_number
        self.label_shipment_id = shipment_id
        return True

    def in_transit(self) -> bool:
        """The carrier has the parcel: it can no longer expire."""
        if self.status is not ReturnStatus.APPROVED:
            return False
        self.status = ReturnStatus.IN_TRANSIT
        return True

    def expire(self, now: datetime) -> bool:
        if self.status not in SHIP_BY_APPLIES or now < self.expires_at:
            return False
        self.status = ReturnStatus.EXPIRED
        return True

    def cancel(self, by_operator: bool) -> bool:
        if self.status is ReturnStatus.CANCELLED:
            return False
        allowed = SHIP_BY_APPLIES + ((ReturnStatus.IN_TRANSIT,) if by_operator else ())
        if self.status not in allowed:
            raise ReturnNotCancellable.in_status(self.status, by_operator)
        self.status = ReturnStatus.CANCELLED
        return True

    def receive(self, found: Mapping[str, Disposition]) -> list[StockMove]:
        """The warehouse's inspection: every sku of the return, every unit accounted
        for. Returns the stock moves it makes, restocks at the locations the units
        shipped from (in the order they shipped), write-offs likewise."""
        if self.status not in (ReturnStatus.APPROVED, ReturnStatus.IN_TRANSIT):
            raise ReturnNotReceivable.in_status(self.status)
        if self.exchange is not None and self.exchange.status is not ExchangeStatus.HELD:
            raise ReturnNotReceivable(
                f"the exchange of return {self.id} is being prepared: receive it in a moment"
            )
        wrong = sorted(set(found) ^ set(self.units)) + sorted(
            sku for sku, d in found.items() if sku in self.units and d.total != self.units[sku]
        )
        if wrong:
            raise TooManyUnits(
                "every sku of the return needs restock + damaged + missing equal to its "
                f"quantity: {', '.join(dict.fromkeys(wrong))}"
            )
        moves: list[StockMove] = []
        received = []
        for item in self.items:
            disposition = found[item.sku]
            places = _spread(item.sources, disposition.restock, disposition.damaged)
            moves += [StockMove(loc, item.sku, n, False) for loc, n in places[0] if n]
            moves += [StockMove(loc, item.sku, n, True) for loc, n in places[1] if n]
            received.append(_with(item, disposition))
        self.items = received
        self.status = ReturnStatus.RECEIVED
        return moves

    @property
    def refund_due(self) -> int:
        """What came back is refunded: unit price times (restocked + damaged), less
        what an exchange gives for it (never below zero: a difference due was paid)."""
        came_back = sum(
            item.unit_price * item.received.refunded_units
            for item in self.items
            if item.received is not None
        )
        exchange = self.exchange
        given = (
            exchange.value
            if exchange and exchange.status in (ExchangeStatus.HELD, ExchangeStatus.SHIPPED)
            else 0
        )
        return max(0, came_back - given)

    def refunding(self, refund_id: str | None, amount: int) -> None:
        self.refund_id = refund_id
        self.refund_amount = amount
        if refund_id is None and self.exchange is None:
            self.status = ReturnStatus.CLOSED  # nothing to pay back, nothing to ship

    def close(self) -> bool:
        if self.status is not ReturnStatus.RECEIVED:
            return False
        self.status = ReturnStatus.CLOSED
        return True


def _with(item: ReturnItem, disposition: Disposition) -> ReturnItem:
    return ReturnItem(
        item.sku,
        item.quantity,
        item.reason,
        item.unit_price,
        item.sources,
        item.note,
        disposition,
    )


def _spread(
    sources: Sequence[Source], restock: int, damaged: int
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Restocked units fill the sources first, damaged ones the rest, in order."""
    restocks, write_offs = [], []
    for source in sources:
        back = min(restock, source.quantity)
        restock -= back
        off = min(damaged, source.quantity - back)
        damaged -= off
        restocks.append((source.location_id, back))
        write_offs.append((source.location_id, off))
    return restocks, write_offs
