"""What may be sold: the one rule both the API's early check and the reservation apply."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol


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
