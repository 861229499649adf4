"""/v1/inventory: stock levels. Ops and admins read them; admins change them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Response

from api.auth import AdminCaller, OpsCaller
from api.pagination import CursorParam, Limit, Page, decode_cursor, encode_cursor
from api.problems import PROBLEM_RESPONSE, Problem
from api.resources import Resources, ResourcesDep
from api.schemas.catalog import AdjustmentIn, AdjustmentOut, InventoryOut, InventorySet
from domain.errors import InvalidStockLevel
from domain.inventory import StockItem
from domain.users import Caller

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
async def get_inventory(sku: str, caller: OpsCaller, resources: ResourcesDep) -> InventoryOut:
    """Units on hand, held for orders, and still available to order."""
    async with resources.unit_of_work() as uow:
        item = await uow.stock.get(sku)
    if item is None:
        raise _no_sku(sku)
    return inventory_out(item)


@router.put("/{sku}", summary="Set the units on hand", responses={**_NOT_FOUND, **_CONFLICT})
async def set_inventory(
    sku: str, body: InventorySet, caller: AdminCaller, resources: ResourcesDep
) -> InventoryOut:
    """Sets on_hand after a stock count; recorded as an adjustment of the difference."""
    return await _change(
        resources, caller, sku, lambda item: body.on_hand - item.on_hand, body.reason
    )


@router.post(
    "/{sku}/adjustments",
    status_code=201,
    summary="Adjust the units on hand",
    responses={**_NOT_FOUND, **_CONFLICT},
)
async def adjust_inventory(
    sku: str, body: AdjustmentIn, caller: AdminCaller, resources: ResourcesDep, response: Response
) -> InventoryOut:
    """Adds (deliveries) or removes (breakage, loss) units, with a reason kept in the
    adjustment history."""
    response.headers["Location"] = f"/v1/inventory/{sku}/adjustments"
    return await _change(resources, caller, sku, lambda item: body.delta, body.reason)


@router.get("/{sku}/adjustments", summary="Adjustment history", responses=_NOT_FOUND)
async def list_inventory_adjustments(
    sku: str,
    caller: OpsCaller,
    resources: ResourcesDep,
    limit: Limit = 20,
    cursor: CursorParam = None,
) -> Page[AdjustmentOut]:
    """Newest first."""
    position = decode_cursor(cursor, 1)
    before = int(position[0]) if position and position[0].isdigit() else None
    async with resources.unit_of_work() as uow:
        if await uow.stock.get(sku) is None:
            raise _no_sku(sku)
        rows = await uow.stock.adjustments(sku, before_id=before, limit=limit + 1)
    page = rows[:limit]
    return Page[AdjustmentOut](
        data=[AdjustmentOut.model_validate(row, from_attributes=True) for row in page],
        next_cursor=encode_cursor(page[-1].id) if len(rows) > limit else None,
    )


async def _change(
    resources: Resources,
    caller: Caller,
    sku: str,
    delta_of: Callable[[StockItem], int],
    reason: str,
) -> InventoryOut:
    """Locks the row, so an adjustment and a reservation racing each other both land."""
    async with resources.unit_of_work() as uow:
        items = await uow.stock.lock([sku])
        if sku not in items:
            raise _no_sku(sku)
        item = items[sku]
        delta = delta_of(item)
        try:
            item.adjust(delta)
        except InvalidStockLevel as error:
            raise Problem(409, "/problems/stock-conflict", str(error)) from None
        await uow.stock.save([item])
        uow.stock.record_adjustment(item, delta, reason, caller.user_id)
        await uow.commit()
    return inventory_out(item)


def _no_sku(sku: str) -> Problem:
    return Problem(404, "/problems/not-found", f"there is no stock record for {sku}")
