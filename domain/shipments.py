"""Shipments: an order ships as one parcel per location its units are held at.

The plan is made with the reservation (one shipment per location, in the order the
allocation first used it) and never changes its units: a unit ships from where it was
reserved. Each shipment is then booked, captured and tracked on its own; the order is
`shipped` when every one is booked and `delivered` when every one is delivered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.allocation import Pick
from domain.errors import IllegalTransition


class ShipmentState(StrEnum):
    """Where one shipment is: planned, then booked at the carrier, then on its way."""

    PLANNED = "pending"  # its units are held at its location; nothing is booked yet
    CREATED = "created"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    CANCELLED = "cancelled"

    @property
    def is_booked(self) -> bool:
        return self not in (ShipmentState.PLANNED, ShipmentState.CANCELLED)


class UnitsState(StrEnum):
    """Where the shipment's units are: held, gone with the parcel, or back on the shelf."""

    HELD = "held"
    COMMITTED = "committed"
    RELEASED = "released"
    RESTOCKED = "restocked"


@dataclass(frozen=True)
class ShipmentItem:
    sku: str
    quantity: int


@dataclass
class Shipment:
    order_id: str
    number: int  # 1, 2, ... in the order the allocation used the locations
    location_id: str
    items: list[ShipmentItem]
    value: int  # what its units cost the customer, in minor units: what its capture takes
    state: ShipmentState = ShipmentState.PLANNED
    units: UnitsState = UnitsState.HELD
    carrier: str | None = None
    carrier_shipment_id: str | None = None
    tracking_number: str | None = None
    captured: int | None = None
    delivered_at: datetime | None = None  # a return window counts from it

    @property
    def id(self) -> str:
        return shipment_id(self.order_id, self.number)

    @property
    def quantities(self) -> dict[tuple[str, str], int]:
        """Its units per (location, sku), as stock is kept."""
        held: dict[tuple[str, str], int] = {}
        for item in self.items:
            place = (self.location_id, item.sku)
            held[place] = held.get(place, 0) + item.quantity
        return held

    def book(self, carrier_shipment_id: str, carrier: str, tracking_number: str) -> bool:
        """The carrier took the parcel: its units have left the shelf."""
        if self.state.is_booked:
            return False
        if self.state is not ShipmentState.PLANNED:
            raise IllegalTransition(self.id, self.state, "booked")
        self.state = ShipmentState.CREATED
        self.units = UnitsState.COMMITTED
        self.carrier_shipment_id = carrier_shipment_id
        self.carrier = carrier
        self.tracking_number = tracking_number
        return True

    def capture(self, amount: int) -> bool:
        if self.captured is not None:
            return False
        self.captured = amount
        return True

    def track(self, event: str, occurred_at: str | None = None) -> bool:
        """Applies a carrier event (in_transit, delivered, exception) that happened at
        `occurred_at` (ISO 8601); a delivered shipment stays delivered."""
        if not self.state.is_booked or self.state is ShipmentState.DELIVERED:
            return False
        self.state = ShipmentState(event)
        if self.state is ShipmentState.DELIVERED and occurred_at is not None:
            self.delivered_at = datetime.fromisoformat(occurred_at)
        return True

    def move_to(self, location_id: str) -> None:
        """Its units are held at another location now: its own was closed before the
        parcel was booked."""
        if self.state is not ShipmentState.PLANNED:
            raise IllegalTransition(self.id, self.state, f"moved to {location_id}")
        self.location_id = location_id

    def call_off(self) -> bool:
        """The carrier cancelled the booking (or nothing was booked)."""
        if self.state is ShipmentState.CANCELLED:
            return False
        if self.state is ShipmentState.DELIVERED:
            raise IllegalTransition(self.id, self.state, "cancelled")
        self.state = ShipmentState.CANCELLED
        return True

    def put_back(self) -> str | None:
        """Its units back on the shelf: held ones released, those of a parcel called
        off restocked. Units that left with a parcel nobody called back stay out.
        Returns what was done, or None, so stock changes exactly once."""
        if self.units is UnitsState.HELD:
            self.units = UnitsState.RELEASED
            return "released"
        if self.units is UnitsState.COMMITTED and self.state is ShipmentState.CANCELLED:
            self.units = UnitsState.RESTOCKED
            return "restocked"
        return None


def shipment_id(order_id: str, number: int) -> str:
    return f"{order_id}-{number}"


def plan(order_id: str, picks: Sequence[Pick], prices: Mapping[str, int]) -> list[Shipment]:
    """One shipment per location the picks use, numbered in the order of first use;
    each carries its units and their value at the order's prices."""
    by_location: dict[str, list[Pick]] = {}
    for pick in picks:
        by_location.setdefault(pick.location_id, []).append(pick)
    shipments = []
    for number, (location_id, taken) in enumerate(by_location.items(), start=1):
        quantities: dict[str, int] = {}
        for pick in taken:
            quantities[pick.sku] = quantities.get(pick.sku, 0) + pick.quantity
        shipments.append(
            Shipment(
                order_id,
                number,
                location_id,
                [ShipmentItem(sku, quantity) for sku, quantity in quantities.items()],
                sum(prices[pick.sku] * pick.quantity for pick in taken),
            )
        )
    return shipments


def all_booked(shipments: Sequence[Shipment]) -> bool:
    return bool(shipments) and all(s.state.is_booked for s in shipments)


def all_delivered(shipments: Sequence[Shipment]) -> bool:
    return bool(shipments) and all(s.state is ShipmentState.DELIVERED for s in shipments)
