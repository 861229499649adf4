"""Claims as clients send and read them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.common import InputModel
from domain.claims import Claim, ClaimStatus, ClaimType
from domain.returns import ClaimReason


class ClaimLineIn(InputModel):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=10_000)
    reason: ClaimReason
    note: str | None = Field(None, max_length=1000)


class ClaimIn(InputModel):
    type: ClaimType = Field(
        description="refund: the units' value is refunded; replace: they ship again, at no charge."
    )
    items: list[ClaimLineIn] = Field(min_length=1, max_length=100)


class ClaimLineOut(BaseModel):
    sku: str
    quantity: int
    reason: ClaimReason
    note: str | None = None


class ClaimOut(BaseModel):
    id: str
    order_id: str
    type: ClaimType
    items: list[ClaimLineOut]
    status: ClaimStatus
    refund_id: str | None = None
    shipment_id: str | None = Field(None, description="The replacement parcel of the order.")
    created_at: datetime

    @classmethod
    def of(cls, claim: Claim) -> ClaimOut:
        assert claim.created_at is not None
        return cls(
            id=claim.id,
            order_id=claim.order_id,
            type=claim.type,
            items=[
                ClaimLineOut(
                    sku=item.sku,
                    quantity=item.quantity,
                    reason=ClaimReason(item.reason),
                    note=item.note,
                )
                for item in claim.items
            ],
            status=claim.status,
            refund_id=claim.refund_id,
            shipment_id=None
            if claim.shipment_number is None
            else f"{claim.order_id}-{claim.shipment_number}",
            created_at=claim.created_at,
        )
