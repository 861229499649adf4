"""Claims: delivered units that arrived damaged, short or wrong, compensated without
coming back. A `refund` claim pays their value back through the refunds ledger; a
`replace` claim ships the same units again, at no charge, as a new parcel of the
order. Claimed units count with returned ones: no unit is compensated twice.

    refund:   open ──> refunded            (failed while its refund failed)
    replace:  open ──> shipped ──> closed  (failed: no stock, or no carrier took it)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.errors import IllegalTransition
from domain.returns import ReturnItem


class ClaimType(StrEnum):
    REFUND = "refund"
    REPLACE = "replace"


class ClaimStatus(StrEnum):
    OPEN = "open"
    REFUNDED = "refunded"
    SHIPPED = "shipped"
    CLOSED = "closed"
    FAILED = "failed"


@dataclass
class Claim:
    id: str
    order_id: str
    customer_id: str
    currency: str
    type: ClaimType
    items: list[ReturnItem]
    requested_by: str
    idempotency_key: str
    fingerprint: str
    status: ClaimStatus = ClaimStatus.OPEN
    refund_id: str | None = None
    shipment_number: int | None = None  # the replacement parcel of the order
    created_at: datetime | None = None

    @property
    def value(self) -> int:
        return sum(item.value for item in self.items)

    @property
    def holds_units(self) -> bool:
        """A replacement that never shipped compensated nothing: its units are free."""
        return not (self.type is ClaimType.REPLACE and self.status is ClaimStatus.FAILED)

    def refunded(self) -> bool:
        if self.status is ClaimStatus.REFUNDED:
            return False
        self._expect(ClaimType.REFUND, ClaimStatus.OPEN, ClaimStatus.FAILED)
        self.status = ClaimStatus.REFUNDED
        return True

    def shipped(self) -> bool:
        if self.status is ClaimStatus.SHIPPED:
            return False
        self._expect(ClaimType.REPLACE, ClaimStatus.OPEN)
        self.status = ClaimStatus.SHIPPED
        return True

    def delivered(self) -> bool:
        if self.status is not ClaimStatus.SHIPPED:
            return False
        self.status = ClaimStatus.CLOSED
        return True

    def fail(self) -> bool:
        if self.status is not ClaimStatus.OPEN:
            return False
        self.status = ClaimStatus.FAILED
        return True

    def _expect(self, kind: ClaimType, *statuses: ClaimStatus) -> None:
        if self.type is not kind or self.status not in statuses:
            raise IllegalTransition(self.id, f"{self.type} claim {self.status}", kind.value)
