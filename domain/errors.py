"""Business refusals. The API turns them into problem details; activities into
non-retryable Temporal errors of the same name."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """A rule of the business refused the request."""


class OutOfStock(DomainError):
    def __init__(self, skus: list[str], order_id: str = "", replayed: bool = False) -> None:
        super().__init__(f"not enough stock for {', '.join(skus)}")
        self.skus = skus
        self.order_id = order_id  # the refused order, kept for its idempotency key
        self.replayed = replayed


class ProductUnavailable(DomainError):
    """Unknown, withdrawn or priced in another currency; `lines` maps the position of
    each request line that names one to its sku."""

    def __init__(self, skus: list[str], lines: dict[int, str] | None = None) -> None:
        super().__init__(f"unknown or not for sale: {', '.join(skus)}")
        self.skus = skus
        self.lines = lines or {}


class IllegalTransition(DomainError):
    def __init__(self, order_id: str, current: str, wanted: str) -> None:
        super().__init__(f"order {order_id} cannot go from {current} to {wanted}")
        self.current = current
        self.wanted = wanted


class InvalidStockLevel(DomainError):
    """on_hand would fall below what is reserved, or below zero."""


class PaymentDeclined(DomainError):
    """The card issuer said no. Asking again will not change its mind."""


class PaymentUnavailable(DomainError):
    """The payment provider could not be reached within the step's bound."""


class DestinationUnsupported(DomainError):
    """The carrier does not deliver to the shipping address."""


class ProviderRejected(DomainError):
    """A provider refused a call as malformed (4xx): retrying the same call cannot help."""


class NotFound(DomainError):
    """No such thing, or one the caller may not see."""


class OrderNotFound(NotFound):
    def __init__(self, order_id: str) -> None:
        super().__init__(f"there is no order {order_id}")
        self.order_id = order_id


class UserNotFound(NotFound):
    def __init__(self, user_id: str) -> None:
        super().__init__(f"there is no user {user_id}")


class ApiKeyNotFound(NotFound):
    def __init__(self, key_id: str) -> None:
        super().__init__(f"there is no API key {key_id}")


class ProductNotFound(NotFound):
    def __init__(self, sku: str) -> None:
        super().__init__(f"there is no product {sku}")


class StockNotFound(NotFound):
    def __init__(self, sku: str) -> None:
        super().__init__(f"there is no stock record for {sku}")


class LocationNotFound(NotFound):
    def __init__(self, location_id: str) -> None:
        super().__init__(f"there is no location {location_id}")


class LocationTaken(DomainError):
    def __init__(self, location_id: str) -> None:
        super().__init__(f"a location {location_id} exists")


class LocationClosed(DomainError):
    """A parcel's location was closed before it was booked, and no active location
    has all of its units to take it over."""


class RefundExceedsCaptured(DomainError):
    """A refund above what was captured less what is refunded or being refunded."""

    def __init__(self, amount: int, left: int) -> None:
        super().__init__(f"a refund of {amount} exceeds the {left} that can still be refunded")
        self.amount = amount
        self.left = left


class RefundNotFound(NotFound):
    def __init__(self, refund_id: str) -> None:
        super().__init__(f"no refund {refund_id}")


class ShipmentNotFound(NotFound):
    def __init__(self, tracking_number: str) -> None:
        super().__init__(f"no shipment {tracking_number}")


class EmailTaken(DomainError):
    def __init__(self, email: str) -> None:
        super().__init__(f"a user with email {email} exists")


class SkuTaken(DomainError):
    def __init__(self, sku: str) -> None:
        super().__init__(f"a product {sku} exists")


class WrongCurrency(DomainError):
    """A price in another currency than the shop's."""

    def __init__(self, currency: str) -> None:
        super().__init__(f"prices are in {currency}")
        self.currency = currency


class ShipmentDelivered(DomainError):
    """A parcel reached the customer: the carrier can no longer call it back."""


class IdempotencyKeyReused(DomainError):
    """The Idempotency-Key was used before with a different request body."""

    def __init__(
        self, detail: str = "this Idempotency-Key was used with a different request body"
    ) -> None:
        super().__init__(detail)


class NotCancellable(DomainError):
    @classmethod
    def in_status(cls, status: str) -> NotCancellable:
        return cls(f"the order is {status} and can no longer be cancelled")


class NotEditable(DomainError):
    """A parcel of the order is booked (or it has ended): it can no longer change."""

    @classmethod
    def in_status(cls, status: str) -> NotEditable:
        return cls(f"the order is {status} and can no longer be edited")


class NotAwaitingReview(DomainError):
    @classmethod
    def in_status(cls, status: str) -> NotAwaitingReview:
        return cls(f"the order is {status}, not awaiting review")


class IdempotencyKeySpent(DomainError):
    """The key's first request was refused before its order existed; it cannot place
    another one."""

    def __init__(self) -> None:
        super().__init__(
            "this Idempotency-Key belongs to a request that could not be placed; use a new key"
        )


class UnknownCustomer(DomainError):
    def __init__(self, customer_id: str) -> None:
        super().__init__(f"no user {customer_id}")
        self.customer_id = customer_id


class NotPermitted(DomainError):
    """The caller's role does not allow this."""


# -- returns (domain/returns.py) ---------------------------------------------------------


class ReturnNotFound(NotFound):
    def __init__(self, return_id: str) -> None:
        super().__init__(f"no return {return_id}")


class NotReturnable(DomainError):
    """Skus of the request that cannot come back at all, each with its reason."""

    def __init__(self, reasons: Mapping[str, str]) -> None:
        super().__init__(
            "not returnable: " + ", ".join(f"{sku} ({why})" for sku, why in sorted(reasons.items()))
        )
        self.reasons = dict(sorted(reasons.items()))


class TooManyUnits(DomainError):
    """More units than were delivered less those already returned, or a receipt that
    does not account for every unit of the return."""


class ReturnNotReviewable(DomainError):
    @classmethod
    def in_status(cls, status: str) -> ReturnNotReviewable:
        return cls(f"the return is {status}, not awaiting review")


class ReturnNotReceivable(DomainError):
    @classmethod
    def in_status(cls, status: str) -> ReturnNotReceivable:
        return cls(f"the return is {status}: only an approved or in-transit one is received")


class ReturnNotCancellable(DomainError):
    @classmethod
    def in_status(cls, status: str, by_operator: bool) -> ReturnNotCancellable:
        until = "until it is received" if by_operator else "until its parcel is in transit"
        return cls(f"the return is {status}: it can be cancelled only {until}")


class OrderNotDelivered(DomainError):
    """A new parcel (a replacement, an exchange) waits until every parcel of the order
    is delivered: the order's own saga is still tracking them."""


class LabelPending(DomainError):
    """The carrier reports on a return's label before the label is recorded here: the
    carrier is asked to send it again shortly."""


class ExchangePaymentMissing(DomainError):
    """An exchange whose new items cost more than those returned needs a payment token
    for the difference."""
