"""/v1/locations: where stock is held and shipped from, and each location's stock."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Response

from api.auth import AdminCaller, OpsCaller
from api.links import segment
from api.problems import PROBLEM_RESPONSE
from api.resources import ServicesDep
from api.schemas.catalog import AdjustmentIn
from api.schemas.locations import (
    LOCATION_ID,
    LocationIn,
    LocationInventoryOut,
    LocationList,
    LocationOut,
    LocationPatch,
    LocationStockIn,
)
from domain.allocation import Location
from domain.inventory import StockItem
from services.inventory import AdjustStock, CountStock
from services.locations import ChangeLocation

router = APIRouter(prefix="/v1/locations", tags=["inventory"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such location (or sku)", **PROBLEM_RESPONSE}
}
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "on_hand would fall below what is reserved", **PROBLEM_RESPONSE}
}


def location_out(location: Location) -> LocationOut:
    return LocationOut(
        id=location.id,
        name=location.name,
        country=location.country,
        priority=location.priority,
        active=location.active,
    )


def stock_out(item: StockItem) -> LocationInventoryOut:
    return LocationInventoryOut(
        location_id=item.location_id,
        sku=item.sku,
        on_hand=item.on_hand,
        reserved=item.reserved,
        available=item.available,
    )


@router.post(
    "",
    status_code=201,
    summary="Add a location",
    responses={409: {"description": "The id is taken", **PROBLEM_RESPONSE}},
)
async def create_location(
    body: LocationIn, caller: AdminCaller, services: ServicesDep, response: Response
) -> LocationOut:
    """A place that holds stock and ships from it; stock it with
    `PUT /v1/locations/{id}/inventory/{sku}`."""
    location = await services.locations.create(
        Location(body.id, body.name, body.country, body.priority)
    )
    response.headers["Location"] = f"/v1/locations/{segment(location.id)}"
    return location_out(location)


@router.get("", summary="List locations")
async def list_locations(caller: OpsCaller, services: ServicesDep) -> LocationList:
    """In priority order (lower first), then by id."""
    return LocationList(data=[location_out(loc) for loc in await services.locations.all()])


@router.get("/{location_id}", summary="Get a location", responses=_NOT_FOUND)
async def get_location(location_id: str, caller: OpsCaller, services: ServicesDep) -> LocationOut:
    """One location, by id."""
    return location_out(await services.locations.get(location_id))


@router.patch("/{location_id}", summary="Change a location", responses=_NOT_FOUND)
async def update_location(
    location_id: str, body: LocationPatch, caller: AdminCaller, services: ServicesDep
) -> LocationOut:
    """Changes name, country, priority or `active`. An inactive location takes no new
    allocations; the units it already holds for orders still ship from it."""
    changed = await services.locations.change(
        ChangeLocation(location_id, body.name, body.country, body.priority, body.active)
    )
    return location_out(changed)


@router.get(
    "/{location_id}/inventory/{sku}", summary="A sku's stock at a location", responses=_NOT_FOUND
)
async def get_location_inventory(
    location_id: str, sku: str, caller: OpsCaller, services: ServicesDep
) -> LocationInventoryOut:
    """Units on hand, held for orders, and available, at this location."""
    await services.locations.get(location_id)
    return stock_out(await services.inventory.stock(sku, location_id))


@router.put(
    "/{location_id}/inventory/{sku}",
    summary="Set the units on hand at a location",
    responses={**_NOT_FOUND, **_CONFLICT},
)
async def set_location_inventory(
    sku: str,
    body: LocationStockIn,
    caller: AdminCaller,
    services: ServicesDep,
    location_id: str = Path(pattern=LOCATION_ID),
) -> LocationInventoryOut:
    """A stock count at this location, recorded as an adjustment of the difference.
    A sku the location has never held gets its row here."""
    counted = CountStock(sku, body.on_hand, body.reason, caller.user_id, location_id)
    return stock_out(await services.inventory.count(counted))


@router.post(
    "/{location_id}/inventory/{sku}/adjustments",
    status_code=201,
    summary="Adjust the units on hand at a location",
    responses={**_NOT_FOUND, **_CONFLICT},
)
async def adjust_location_inventory(
    sku: str,
    body: AdjustmentIn,
    caller: AdminCaller,
    services: ServicesDep,
    response: Response,
    location_id: str = Path(pattern=LOCATION_ID),
) -> LocationInventoryOut:
    """Adds (deliveries) or removes (breakage, loss) units at this location."""
    adjusted = AdjustStock(sku, body.delta, body.reason, caller.user_id, location_id)
    item = await services.inventory.adjust(adjusted)
    response.headers["Location"] = f"/v1/inventory/{segment(sku)}/adjustments"
    return stock_out(item)
