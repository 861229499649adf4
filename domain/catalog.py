"""What may be sold: the one rule both the API's early check and the reservation apply."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    description: str | None
    price_amount: int  # in the currency's minor unit
    currency: str
    active: bool
    created_at: datetime
    updated_at: datetime
    returnable: bool = True  # false: final sale
    return_window_days: int | None = None  # None: the shop's window


class Listing(Protocol):
    @property
    def active(self) -> bool: ...

    @property
    def currency(self) -> str: ...


def not_for_sale(skus: Iterable[str], listings: Mapping[str, Listing], currency: str) -> list[str]:
    """The skus that are unknown, withdrawn, or priced in another currency, sorted."""
    return sorted(
        {
            sku
            for sku in skus
            if (listing := listings.get(sku)) is None
            or not listing.active
            or listing.currency != currency
        }
    )
