"""Returns as clients send and read them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import InputModel, Money, MoneyDifference
from domain.refunds import RefundStatus
from domain.returns import ExchangeStatus, Return, ReturnReason, ReturnStatus

SKU = Field(min_length=1, max_length=64)


class ReturnLineIn(InputModel):
    sku: str = SKU
    quantity: int = Field(ge=1, le=10_000)
    reason: ReturnReason
    note: str | None = Field(None, max_length=1000)


class ExchangeLineIn(InputModel):
    sku: str = SKU
    quantity: int = Field(ge=1, le=10_000)


class ExchangePaymentIn(InputModel):
    token: str = Field(min_length=1, max_length=200)


class ReturnIn(InputModel):
    items: list[ReturnLineIn] = Field(min_length=1, max_length=100)
    exchange_items: list[ExchangeLineIn] | None = Field(
        None,
        max_length=100,
        description="New items for the returned ones, at today's prices: reserved when the "
        "return is approved, shipped as a new parcel of the order when it is received.",
    )
    payment: ExchangePaymentIn | None = Field(
        None, description="Pays the difference when the new items cost more (required then)."
    )


class ReviewIn(InputModel):
    decision: Literal["approve", "reject"]
    note: str | None = Field(None, max_length=1000)


class ReceivedLineIn(InputModel):
    sku: str = SKU
    restock: int = Field(0, ge=0, le=10_000)
    damaged: int = Field(0, ge=0, le=10_000)
    missing: int = Field(0, ge=0, le=10_000)


class ReceiveIn(InputModel):
    items: list[ReceivedLineIn] = Field(
        min_length=1,
        max_length=100,
        description="Every sku of the return once, its units all accounted for.",
    )


class ReceivedOut(BaseModel):
    restock: int
    damaged: int
    missing: int


class ReturnLineOut(BaseModel):
    sku: str
    quantity: int
    reason: ReturnReason
    note: str | None = None
    received: ReceivedOut | None = Field(None, description="Once the warehouse inspected it.")


class ReturnRefundOut(BaseModel):
    amount: Money
    status: RefundStatus
    refund_id: str | None = None


class LabelOut(BaseModel):
    carrier: str
    tracking_number: str


class ExchangeLineOut(BaseModel):
    sku: str
    quantity: int


class ExchangeOut(BaseModel):
    items: list[ExchangeLineOut]
    difference: MoneyDifference = Field(
        description="New items less returned ones: above zero paid by the customer, below "
        "zero refunded after receipt."
    )
    order_shipment_id: str | None = Field(None, description="The new parcel of the order.")
    status: ExchangeStatus


class ReturnOut(BaseModel):
    id: str
    order_id: str
    status: ReturnStatus
    items: list[ReturnLineOut]
    refund: ReturnRefundOut | None = Field(None, description="Once received.")
    exchange: ExchangeOut | None = None
    label: LabelOut | None = Field(None, description="Once the carrier issued it.")
    created_at: datetime
    updated_at: datetime
    expires_at: datetime = Field(description="Ship it back by then, or the return expires.")

    @classmethod
    def of(cls, rma: Return) -> ReturnOut:
        assert rma.created_at is not None and rma.updated_at is not None
        refund = None
        if rma.refund_amount is not None and rma.status in (
            ReturnStatus.RECEIVED,
            ReturnStatus.CLOSED,
        ):
            refund = ReturnRefundOut(
                amount=Money(amount=rma.refund_amount, currency=rma.currency),
                status=RefundStatus(rma.refund_status or RefundStatus.SUCCEEDED.value),
                refund_id=rma.refund_id,
            )
        label = None
        if rma.label_carrier and rma.label_tracking_number:
            label = LabelOut(carrier=rma.label_carrier, tracking_number=rma.label_tracking_number)
        return cls(
            id=rma.id,
            order_id=rma.order_id,
            status=rma.status,
            items=[
                ReturnLineOut(
                    sku=item.sku,
                    quantity=item.quantity,
                    reason=ReturnReason(item.reason),
                    note=item.note,
                    received=None
                    if item.received is None
                    else ReceivedOut(
                        restock=item.received.restock,
                        damaged=item.received.damaged,
                        missing=item.received.missing,
                    ),
                )
                for item in rma.items
            ],
            refund=refund,
            exchange=None
            if rma.exchange is None
            else ExchangeOut(
                items=[ExchangeLineOut(sku=x.sku, quantity=x.quantity) for x in rma.exchange.items],
                difference=MoneyDifference(amount=rma.exchange.difference, currency=rma.currency),
                order_shipment_id=None
                if rma.exchange.shipment_number is None
                else f"{rma.order_id}-{rma.exchange.shipment_number}",
                status=rma.exchange.status,
            ),
            label=label,
            created_at=rma.created_at,
            updated_at=rma.updated_at,
            expires_at=rma.expires_at,
        )
