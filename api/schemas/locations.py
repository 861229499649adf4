"""Bodies of /v1/locations."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import InputModel

LOCATION_ID = r"^[a-z0-9][a-z0-9-]{0,39}$"
COUNTRY = r"^[A-Z]{2}$"


class LocationIn(InputModel):
    id: str = Field(pattern=LOCATION_ID, examples=["eu-west"])
    name: str = Field(min_length=1, max_length=200, examples=["Rotterdam warehouse"])
    country: str = Field(pattern=COUNTRY, description="ISO 3166-1 alpha-2.", examples=["NL"])
    priority: int = Field(100, ge=0, le=10_000, description="Lower is preferred.")


class LocationPatch(InputModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    country: str | None = Field(None, pattern=COUNTRY)
    priority: int | None = Field(None, ge=0, le=10_000)
    active: bool | None = Field(
        None, description="Inactive: no new allocations; what it holds still ships."
    )


class LocationOut(BaseModel):
    id: str
    name: str
    country: str
    priority: int
    active: bool


class LocationList(BaseModel):
    data: list[LocationOut]


class LocationStockIn(InputModel):
    on_hand: int = Field(ge=0, le=10**9, examples=[120])
    reason: str = Field("stock count", min_length=1, max_length=200)


class LocationInventoryOut(BaseModel):
    location_id: str
    sku: str
    on_hand: int
    reserved: int
    available: int
