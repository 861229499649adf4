"""Which delivered units may come back, and from where: the rules a return (and a
claim, without window or final sale) is checked by when it is asked for. Counted per
unit and per location a unit shipped from, against every return and claim that holds
units already."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from domain.errors import NotReturnable, TooManyUnits
from domain.returns import ClaimReason, ReturnItem, ReturnReason, Source
from domain.shipments import Shipment, ShipmentState


class Unreturnable(StrEnum):
    """Why a sku cannot be returned at all (the `items[].reason` of the refusal)."""

    NOT_DELIVERED = "not_delivered"
    WINDOW_EXPIRED = "window_expired"
    FINAL_SALE = "final_sale"
    ALREADY_RETURNED = "already_returned"


@dataclass(frozen=True)
class ReturnPolicy:
    """The shop's rules (settings) and each product's own (catalog)."""

    window: timedelta
    ship_by: timedelta
    review_threshold: int
    final_sale: frozenset[str] = frozenset()
    windows: Mapping[str, timedelta] = field(default_factory=dict)

    def window_of(self, sku: str) -> timedelta:
        return self.windows.get(sku, self.window)


@dataclass(frozen=True)
class Wanted:
    """One line of a return request."""

    sku: str
    quantity: int
    reason: ReturnReason | ClaimReason
    note: str | None = None


@dataclass(frozen=True)
class Delivered:
    """Units of a sku that reached the customer from one location, and when."""

    sku: str
    location_id: str
    quantity: int
    delivered_at: datetime


def delivered_units(shipments: Iterable[Shipment]) -> list[Delivered]:
    """The delivered parcels' units, in the order the parcels were numbered."""
    units = []
    for parcel in sorted(shipments, key=lambda s: s.number):
        if parcel.state is not ShipmentState.DELIVERED or parcel.delivered_at is None:
            continue
        for item in parcel.items:
            units.append(
                Delivered(item.sku, parcel.location_id, item.quantity, parcel.delivered_at)
            )
    return units


class HoldsUnits(Protocol):
    """A return or a claim: whether its units count as compensated, and which."""

    @property
    def holds_units(self) -> bool: ...

    @property
    def items(self) -> Sequence[ReturnItem]: ...


def already_taken(earlier: Iterable[HoldsUnits]) -> dict[tuple[str, str], int]:
    """Units per (sku, location) in returns and claims that hold them."""
    taken: dict[tuple[str, str], int] = {}
    for held in earlier:
        if not held.holds_units:
            continue
        for item in held.items:
            for source in item.sources:
                key = (item.sku, source.location_id)
                taken[key] = taken.get(key, 0) + source.quantity
    return taken


def plan_items(
    wanted: Sequence[Wanted],
    delivered: Sequence[Delivered],
    taken: Mapping[tuple[str, str], int],
    prices: Mapping[str, int],
    policy: ReturnPolicy,
    now: datetime,
) -> list[ReturnItem]:
    """The return's items with the locations their units came from, or the refusal:
    NotReturnable naming every sku that cannot come back at all, TooManyUnits for more
    units than were delivered less those already returned."""
    refused: dict[str, Unreturnable] = {}
    too_many: list[str] = []
    items: list[ReturnItem] = []
    merged: dict[str, Wanted] = {}
    for line in wanted:
        seen = merged.get(line.sku)
        merged[line.sku] = (
            line
            if seen is None
            else Wanted(line.sku, seen.quantity + line.quantity, seen.reason, seen.note)
        )
    for line in merged.values():
        mine = [d for d in delivered if d.sku == line.sku]
        if not mine:
            refused[line.sku] = Unreturnable.NOT_DELIVERED
            continue
        if line.sku in policy.final_sale:
            refused[line.sku] = Unreturnable.FINAL_SALE
            continue
        if now > max(d.delivered_at for d in mine) + policy.window_of(line.sku):
            refused[line.sku] = Unreturnable.WINDOW_EXPIRED
            continue
        shipped: dict[str, int] = {}
        for d in mine:
            shipped[d.location_id] = shipped.get(d.location_id, 0) + d.quantity
        left = {
            location_id: free
            for location_id, quantity in shipped.items()
            if (free := quantity - taken.get((line.sku, location_id), 0)) > 0
        }
        if sum(left.values()) == 0:
            refused[line.sku] = Unreturnable.ALREADY_RETURNED
            continue
        if line.quantity > sum(left.values()):
            too_many.append(f"{line.sku} ({sum(left.values())} can still be returned)")
            continue
        need, sources = line.quantity, []
        for location_id, free in left.items():
            take = min(need, free)
            if take:
                sources.append(Source(location_id, take))
                need -= take
        items.append(
            ReturnItem(
                line.sku, line.quantity, line.reason, prices[line.sku], tuple(sources), line.note
            )
        )
    if refused:
        raise NotReturnable(refused)
    if too_many:
        raise TooManyUnits(f"more units than can be returned: {', '.join(too_many)}")
    return items


def needs_review(items: Sequence[ReturnItem], policy: ReturnPolicy) -> bool:
    return sum(item.value for item in items) > policy.review_threshold
