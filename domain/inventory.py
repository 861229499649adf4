"""Stock of one sku. `available = on_hand - reserved` can never go negative."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.errors import InvalidStockLevel

DEFAULT_LOCATION = "default"  # where stock lived before there were locations
# The most units one location may hold of one sku: what a count may set, and what
# adjustments may add up to (the column holds up to 2**31 - 1).
MAX_ON_HAND = 10**9


@dataclass
class StockItem:
    sku: str
    on_hand: int
    reserved: int = 0
    location_id: str = DEFAULT_LOCATION

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    def can_reserve(self, quantity: int) -> bool:
        return 0 < quantity <= self.available

    def reserve(self, quantity: int) -> None:
        if not self.can_reserve(quantity):
            raise InvalidStockLevel(f"{self.sku}: {quantity} wanted, {self.available} available")
        self.reserved += quantity

    def release(self, quantity: int) -> None:
        """Frees units held for an order that will not ship."""
        self.reserved = max(0, self.reserved - quantity)

    def commit(self, quantity: int) -> None:
        """The held units leave the warehouse."""
        self.reserved = max(0, self.reserved - quantity)
        self.on_hand = max(0, self.on_hand - quantity)

    def restock(self, quantity: int) -> None:
        """Units of a shipped-then-cancelled order come back."""
        self.on_hand += quantity

    def set_on_hand(self, on_hand: int) -> None:
        if on_hand < 0 or on_hand < self.reserved:
            raise InvalidStockLevel(
                f"{self.sku}: on_hand {on_hand} is below the {self.reserved} reserved"
            )
        if on_hand > MAX_ON_HAND:
            raise InvalidStockLevel(
                f"{self.sku}: on_hand {on_hand} is above the most one location holds, {MAX_ON_HAND}"
            )
        self.on_hand = on_hand

    def adjust(self, delta: int) -> None:
        """A counted change of stock (delivery in, breakage out)."""
        self.set_on_hand(self.on_hand + delta)


@dataclass(frozen=True)
class StockAdjustment:
    """One counted change of a sku's stock, kept for its history."""

    id: int
    sku: str
    delta: int
    reason: str
    on_hand_after: int
    actor_id: str | None  # None for the opening stock
    created_at: datetime
    location_id: str = DEFAULT_LOCATION
