"""Business refusals. The API turns them into problem details; activities into
non-retryable Temporal errors of the same name."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the business refused the request."""


class OutOfStock(DomainError):
    def __init__(self, skus: list[str]) -> None:
        super().__init__(f"not enough stock for {', '.join(skus)}")
        self.skus = skus


class ProductUnavailable(DomainError):
    def __init__(self, skus: list[str]) -> None:
        super().__init__(f"unknown or inactive products: {', '.join(skus)}")
        self.skus = skus


class IllegalTransition(DomainError):
    def __init__(self, order_id: str, current: str, wanted: str) -> None:
        super().__init__(f"order {order_id} cannot go from {current} to {wanted}")
        self.current = current
        self.wanted = wanted


class InvalidStockLevel(DomainError):
    """on_hand would fall below what is reserved, or below zero."""


class PaymentDeclined(DomainError):
    """The card issuer said no. Asking again will not change its mind."""


class DestinationUnsupported(DomainError):
    """The carrier does not deliver to the shipping address."""


class ProviderRejected(DomainError):
    """A provider refused a call as malformed (4xx): retrying the same call cannot help."""
