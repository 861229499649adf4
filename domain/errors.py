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
