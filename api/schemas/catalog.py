"""Bodies of /v1/products and /v1/inventory."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.common import InputModel, Money


class ProductIn(InputModel):
    sku: str = Field(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", examples=["MUG-RED"]
    )
    name: str = Field(min_length=1, max_length=200, examples=["Red enamel mug"])
    description: str | None = Field(None, max_length=5000)
    price: Money
    active: bool = True
    returnable: bool = Field(True, description="false: final sale, never returned.")
    return_window_days: int | None = Field(
        None,
        ge=0,
        le=3650,
        description="Days after delivery it may be returned; null: the shop's window.",
    )


class ProductPatch(InputModel):
    """Only the fields sent change. Orders already placed keep the price they were placed at."""

    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    price: Money | None = None
    active: bool | None = None
    returnable: bool | None = None
    return_window_days: int | None = Field(
        None, ge=0, le=3650, description="null: the shop's window applies again."
    )


class ProductOut(BaseModel):
    sku: str
    name: str
    description: str | None
    price: Money
    active: bool
    returnable: bool
    return_window_days: int | None = None
    created_at: datetime
    updated_at: datetime


class LocationStockOut(BaseModel):
    location_id: str
    on_hand: int
    reserved: int
    available: int


class InventoryOut(BaseModel):
    sku: str
    on_hand: int = Field(description="Units in the warehouse.")
    reserved: int = Field(description="Units held for orders not yet shipped.")
    available: int = Field(description="on_hand - reserved: what can still be ordered.")
    locations: list[LocationStockOut] | None = Field(
        None,
        description="GET: each location's own levels (the fields above are their totals). "
        "Absent from the answer to a change, which shows the changed location's row.",
    )


class InventorySet(InputModel):
    on_hand: int = Field(ge=0, le=10**9, examples=[120])
    reason: str = Field("stock count", min_length=1, max_length=200)


class AdjustmentIn(InputModel):
    delta: int = Field(ge=-(10**9), le=10**9, examples=[24])
    reason: str = Field(min_length=1, max_length=200, examples=["delivery from supplier"])


class AdjustmentOut(BaseModel):
    id: int
    sku: str
    delta: int
    reason: str
    on_hand_after: int
    actor_id: str | None
    created_at: datetime
    location_id: str = Field("default", description="Where the units were counted.")
