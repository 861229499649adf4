"""/v1/inventory: stock levels. Ops and admins read them; admins change them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.auth import AdminCaller, OpsCaller
from api.links import segment
from api.pagination import CursorParam, Limit, Page, decode_cursor, encode_cursor
from api.problems import PROBLEM_RESPONSE
from api.resources import ServicesDep
from api.schemas.catalog import (
    AdjustmentIn,
    AdjustmentOut,
    InventoryOut,
    InventorySet,
    LocationStockOut,
)
from domain.inventory import StockItem
from services.inventory import AdjustStock, CountStock

router = APIRouter(prefix="/v1/inventory", tags=["inventory"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such sku", **PROBLEM_RESPONSE}
}
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "on_hand would fall below what is reserved", **PROBLEM_RESPONSE}
}


def inventory_out(item: StockItem) -> InventoryOut:
    return InventoryOut(
        sku=item.sku, on_hand=item.on_hand, reserved=item.reserved, available=item.available
    )


@router.get("/{sku}", summary="Stock of a sku", responses=_NOT_FOUND)
async def get_inventory(sku: str, caller: OpsCaller, services: ServicesDep) -> InventoryOut:
    """Units on hand, held for orders, and still available to order, over every
    location, and each location's own (`locations`)."""
    levels = await services.inventory.levels(sku)
    return InventoryOut(
        sku=sku,
        on_hand=levels.on_hand,
        reserved=levels.reserved,
        available=levels.available,
        locations=[
            LocationStockOut(
                location_id=item.location_id,
                on_hand=item.on_hand,
                reserved=item.reserved,
                available=item.available,
            )
            for item in levels.locations
        ],
    )


@router.put("/{sku}", summary="Set the units on hand", responses={**_NOT_FOUND, **_CONFLICT})
async def set_inventory(
    sku: str, body: InventorySet, caller: AdminCaller, services: ServicesDep
) -> InventoryOut:
    """Sets on_hand after a stock count; recorded as an adjustment of the difference."""
    counted = CountStock(sku, body.on_hand, body.reason, caller.user_id)
    return inventory_out(await services.inventory.count(counted))


@router.post(
    "/{sku}/adjustments",
    status_code=201,
    summary="Adjust the units on hand",
    responses={**_NOT_FOUND, **_CONFLICT},
)
async def adjust_inventory(
    sku: str, body: AdjustmentIn, caller: AdminCaller, services: ServicesDep, response: Response
) -> InventoryOut:
    """Adds (deliveries) or removes (breakage, loss) units, with a reason kept in the
    adjustment history."""
    item = await services.inventory.adjust(
        AdjustStock(sku, body.delta, body.reason, caller.user_id)
    )
    response.headers["Location"] = f"/v1/inventory/{segment(sku)}/adjustments"
    return inventory_out(item)


@router.get("/{sku}/adjustments", summary="Adjustment history", responses=_NOT_FOUND)
async def list_inventory_adjustments(
    sku: str,
    caller: OpsCaller,
    services: ServicesDep,
    limit: Limit = 20,
    cursor: CursorParam = None,
) -> Page[AdjustmentOut]:
    """Newest first."""
    position = decode_cursor(cursor, 1)
    before = int(position[0]) if position and position[0].isdigit() else None
    history = await services.inventory.history(sku, before_id=before, limit=limit + 1)
    page = history[:limit]
    return Page[AdjustmentOut](
        data=[AdjustmentOut.model_validate(entry, from_attributes=True) for entry in page],
        next_cursor=encode_cursor(page[-1].id) if len(history) > limit else None,
    )
