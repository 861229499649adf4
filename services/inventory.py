"""Stock levels: counted, adjusted and their history. Reservations are the saga's
(activities/stock.py); these are the warehouse's own changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from db.unit_of_work import UnitOfWork
from domain.errors import LocationNotFound, StockNotFound
from domain.inventory import DEFAULT_LOCATION, StockAdjustment, StockItem


@dataclass(frozen=True)
class CountStock:
    """A stock count: on_hand becomes this, recorded as an adjustment of the difference."""

    sku: str
    on_hand: int
    reason: str
    actor_id: str
    location_id: str = DEFAULT_LOCATION


@dataclass(frozen=True)
class AdjustStock:
    """Units in (a delivery) or out (breakage, loss)."""

    sku: str
    delta: int
    reason: str
    actor_id: str
    location_id: str = DEFAULT_LOCATION


@dataclass(frozen=True)
class StockLevels:
    sku: str
    locations: tuple[StockItem, ...]  # by location id

    @property
    def on_hand(self) -> int:
        return sum(item.on_hand for item in self.locations)

    @property
    def reserved(self) -> int:
        return sum(item.reserved for item in self.locations)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class Inventory:
    def __init__(self, unit_of_work: Callable[[], UnitOfWork]) -> None:
        self._unit_of_work = unit_of_work

    async def stock(self, sku: str, location_id: str = DEFAULT_LOCATION) -> StockItem:
        async with self._unit_of_work() as uow:
            item = await uow.stock.get(sku, location_id)
        if item is None:
            raise StockNotFound(sku)
        return item

    async def levels(self, sku: str) -> StockLevels:
        """The sku's totals over every location, and each location's own."""
        async with self._unit_of_work() as uow:
            levels = await uow.stock.levels(sku)
        if not levels:
            raise StockNotFound(sku)
        return StockLevels(sku, tuple(levels))

    async def count(self, command: CountStock) -> StockItem:
        return await self._change(
            command,
            lambda item: command.on_hand - item.on_hand,
        )

    async def adjust(self, command: AdjustStock) -> StockItem:
        return await self._change(command, lambda item: command.delta)

    async def history(
        self,
        sku: str,
        *,
        location_id: str | None = None,
        before_id: int | None,
        limit: int,
    ) -> list[StockAdjustment]:
        """Newest first: of one location, or of every location when None."""
        async with self._unit_of_work() as uow:
            if not await uow.stock.levels(sku):
                raise StockNotFound(sku)
            return await uow.stock.adjustments(
                sku, location_id=location_id, before_id=before_id, limit=limit
            )

    async def _change(
        self, command: CountStock | AdjustStock, delta_of: Callable[[StockItem], int]
    ) -> StockItem:
        """Locks the row, so an adjustment and a reservation racing each other both
        land. Raises InvalidStockLevel if on_hand would fall below what is reserved.
        A sku a location has never held gets its row there on its first count or
        delivery."""
        sku, location_id = command.sku, command.location_id
        async with self._unit_of_work() as uow:
            if await uow.locations.get(location_id) is None:
                raise LocationNotFound(location_id)
            items = await uow.stock.lock_at(location_id, [sku])
            if sku not in items:
                if await uow.products.get(sku) is None:
                    raise StockNotFound(sku)
                uow.stock.add(StockItem(sku, 0, 0, location_id))
                items = await uow.stock.lock_at(location_id, [sku])
            item = items[sku]
            delta = delta_of(item)
            item.adjust(delta)
            await uow.stock.save([item])
            uow.stock.record_adjustment(item, delta, command.reason, command.actor_id)
            await uow.commit()
        return item
