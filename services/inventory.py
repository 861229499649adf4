"""Stock levels: counted, adjusted and their history. Reservations are the saga's
(activities/stock.py); these are the warehouse's own changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from db.unit_of_work import UnitOfWork
from domain.errors import StockNotFound
from domain.inventory import StockAdjustment, StockItem


@dataclass(frozen=True)
class CountStock:
    """A stock count: on_hand becomes this, recorded as an adjustment of the difference."""

    sku: str
    on_hand: int
    reason: str
    actor_id: str


@dataclass(frozen=True)
class AdjustStock:
    """Units in (a delivery) or out (breakage, loss)."""

    sku: str
    delta: int
    reason: str
    actor_id: str


class Inventory:
    def __init__(self, unit_of_work: Callable[[], UnitOfWork]) -> None:
        self._unit_of_work = unit_of_work

    async def stock(self, sku: str) -> StockItem:
        async with self._unit_of_work() as uow:
            item = await uow.stock.get(sku)
        if item is None:
            raise StockNotFound(sku)
        return item

    async def count(self, command: CountStock) -> StockItem:
        return await self._change(
            command.sku,
            lambda item: command.on_hand - item.on_hand,
            command.reason,
            command.actor_id,
        )

    async def adjust(self, command: AdjustStock) -> StockItem:
        return await self._change(
            command.sku, lambda item: command.delta, command.reason, command.actor_id
        )

    async def history(
        self, sku: str, *, before_id: int | None, limit: int
    ) -> list[StockAdjustment]:
        """Newest first."""
        async with self._unit_of_work() as uow:
            if await uow.stock.get(sku) is None:
                raise StockNotFound(sku)
            return await uow.stock.adjustments(sku, before_id=before_id, limit=limit)

    async def _change(
        self, sku: str, delta_of: Callable[[StockItem], int], reason: str, actor_id: str
    ) -> StockItem:
        """Locks the row, so an adjustment and a reservation racing each other both
        land. Raises InvalidStockLevel if on_hand would fall below what is reserved."""
        async with self._unit_of_work() as uow:
            items = await uow.stock.lock([sku])
            if sku not in items:
                raise StockNotFound(sku)
            item = items[sku]
            delta = delta_of(item)
            item.adjust(delta)
            await uow.stock.save([item])
            uow.stock.record_adjustment(item, delta, reason, actor_id)
            await uow.commit()
        return item
