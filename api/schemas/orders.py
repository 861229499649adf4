"""Bodies of /v1/orders: placing, reading and editing an order (a review or a cancel
is in order_decisions.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas.common import InputModel, Money, MoneyDifference
from domain.order import FailureReason, OrderStatus
from domain.order_records import OrderRecord, TimelineEntry

MAX_LINES = 100
MAX_QUANTITY = 1_000


class LineIn(InputModel):
    sku: str = Field(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", examples=["TSHIRT-M"]
    )
    quantity: int = Field(gt=0, le=MAX_QUANTITY, examples=[2])


class AddressIn(InputModel):
    name: str = Field(min_length=1, max_length=200, examples=["Ada Lovelace"])
    line1: str = Field(min_length=1, max_length=200, examples=["12 St James's Square"])
    line2: str | None = Field(None, max_length=200)
    city: str = Field(min_length=1, max_length=100, examples=["London"])
    postal_code: str = Field(min_length=1, max_length=20, examples=["SW1Y 4JH"])
    country: str = Field(
        pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code.", examples=["GB"]
    )


class PaymentIn(InputModel):
    token: str = Field(
        min_length=1,
        max_length=200,
        description="A payment token from the payment provider.",
        examples=["tok_ok"],
    )


class PlaceOrderIn(InputModel):
    items: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)
    shipping_address: AddressIn
    payment: PaymentIn
    customer_id: str | None = Field(
        None, description="Only for ops and admin placing an order for a customer."
    )


class EditOrderIn(InputModel):
    """The new full list of items and/or a new address; at least one of them."""

    items: list[LineIn] | None = Field(None, min_length=1, max_length=MAX_LINES)
    shipping_address: AddressIn | None = None

    @model_validator(mode="after")
    def _something_changes(self) -> EditOrderIn:
        if self.items is None and self.shipping_address is None:
            raise ValueError("an edit names new items, a new shipping_address, or both")
        return self


class LineOut(BaseModel):
    sku: str
    quantity: int
    unit_price: Money
    line_total: Money


class PaymentOut(BaseModel):
    status: str
    authorization_id: str | None = None


class ShipmentOut(BaseModel):
    status: str
    carrier: str | None
    tracking_number: str | None = None


class ShipmentItemOut(BaseModel):
    sku: str
    quantity: int


class ParcelOut(BaseModel):
    """One parcel of the order: the units of one location, booked, captured and
    tracked on its own."""

    id: str
    location_id: str
    items: list[ShipmentItemOut]
    status: str = Field(
        description="pending until the carrier books it; then created, in_transit, "
        "delivered, exception; cancelled when called off."
    )
    carrier: str | None = None
    tracking_number: str | None = None
    captured: Money | None = Field(None, description="This parcel's part of the payment.")


ORDER_EXAMPLE: dict[str, Any] = {
    "id": "ord_6f1c2a9e4b7d8c0a1e2f",
    "customer_id": "usr_2b8e4f6a1c3d5e7f9a0b",
    "status": "shipped",
    "items": [
        {
            "sku": "MUG-RED",
            "quantity": 2,
            "unit_price": {"amount": 1450, "currency": "USD"},
            "line_total": {"amount": 2900, "currency": "USD"},
        }
    ],
    "total": {"amount": 2900, "currency": "USD"},
    "shipping_address": {
        "name": "Grace",
        "line1": "1 Main St",
        "city": "Arlington",
        "postal_code": "22201",
        "country": "US",
    },
    "payment": {"status": "captured", "authorization_id": "auth_51c0e7"},
    "refunded_total": {"amount": 0, "currency": "USD"},
    "shipment": {
        "status": "in_transit",
        "carrier": "sim-express",
        "tracking_number": "SIM1Z999AA10123456",
    },
    "shipments": [
        {
            "id": "ord_6f1c2a9e4b7d8c0a1e2f-1",
            "location_id": "default",
            "items": [{"sku": "MUG-RED", "quantity": 2}],
            "status": "in_transit",
            "carrier": "sim-express",
            "tracking_number": "SIM1Z999AA10123456",
            "captured": {"amount": 2900, "currency": "USD"},
        }
    ],
    "failure_reason": None,
    "failed_compensations": [],
    "created_at": "2026-11-29T21:30:00Z",
    "updated_at": "2026-11-29T21:30:04Z",
}


class OrderOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ORDER_EXAMPLE]})

    id: str
    customer_id: str
    status: OrderStatus = Field(
        description="pending → reserved → (awaiting_review) → authorized → shipped → "
        "delivered; or cancelled or failed."
    )
    items: list[LineOut]
    total: Money
    shipping_address: dict[str, Any]
    payment: PaymentOut
    refunded_total: Money = Field(
        description="What was given back to the customer: the refunds that succeeded."
    )
    shipment: ShipmentOut | None = Field(None, description="The first of `shipments`, once booked.")
    shipments: list[ParcelOut] = Field(
        default_factory=list,
        description="One parcel per location the order's units are held at, in the order "
        "they are booked; the order is shipped once every one is booked and delivered "
        "once every one is delivered.",
    )
    failure_reason: FailureReason | None = Field(None, description="Why a failed order failed.")
    failed_compensations: list[str] = Field(
        default_factory=list,
        description="Undo steps (release_stock, void_payment, cancel_shipment) that gave up "
        "past their retry bound: an operator must finish them by hand.",
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, order: OrderRecord) -> OrderOut:
        currency = order.currency
        return cls(
            id=order.id,
            customer_id=order.customer_id,
            status=OrderStatus(order.status),
            items=[
                LineOut(
                    sku=line.sku,
                    quantity=line.quantity,
                    unit_price=Money(amount=line.unit_price_amount, currency=currency),
                    line_total=Money(
                        amount=line.unit_price_amount * line.quantity, currency=currency
                    ),
                )
                for line in order.lines
            ],
            total=Money(amount=order.total_amount, currency=currency),
            shipping_address={k: v for k, v in order.shipping_address.items() if v is not None},
            payment=PaymentOut(
                status=order.payment_status, authorization_id=order.authorization_id
            ),
            refunded_total=Money(amount=order.refunded_total, currency=currency),
            shipment=(
                ShipmentOut(
                    status=order.shipment_status,
                    carrier=order.carrier,
                    tracking_number=order.tracking_number,
                )
                if order.shipment_status
                else None
            ),
            shipments=[
                ParcelOut(
                    id=parcel.id,
                    location_id=parcel.location_id,
                    items=[ShipmentItemOut(sku=sku, quantity=qty) for sku, qty in parcel.items],
                    status=parcel.status,
                    carrier=parcel.carrier,
                    tracking_number=parcel.tracking_number,
                    captured=(
                        Money(amount=parcel.captured_amount, currency=currency)
                        if parcel.captured_amount is not None
                        else None
                    ),
                )
                for parcel in order.shipments
            ],
            failure_reason=FailureReason(order.failure_reason) if order.failure_reason else None,
            failed_compensations=list(order.failed_compensations),
            created_at=order.created_at,
            updated_at=order.updated_at,
        )


class OrderEventOut(BaseModel):
    type: str
    at: datetime
    data: dict[str, Any]

    @classmethod
    def of(cls, entry: TimelineEntry) -> OrderEventOut:
        return cls(type=entry.type, at=entry.at, data=entry.data)


class EditedOut(BaseModel):
    """The order after the edit (on a dry run, as the edit would make it), and what the
    customer pays more (above zero, authorized now) or has released (below zero, when
    the payment is taken)."""

    order: OrderOut
    difference: MoneyDifference
    dry_run: bool = False
    held_for_review: bool = Field(
        False, description="The new total sends the order back to an ops review."
    )
