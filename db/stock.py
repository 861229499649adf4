"""Inventory rows, one per (location, sku), locked in (location, sku) order so that
concurrent orders never deadlock."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import StockAdjustmentRow, StockRow
from domain.inventory import DEFAULT_LOCATION, StockAdjustment, StockItem

# The reason of the adjustment that a new stock row starts with.
OPENING_STOCK = "opening stock"

Place = tuple[str, str]  # (location id, sku)


class StockRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._rows: dict[Place, StockRow] = {}

    async def lock(self, places: Iterable[Place]) -> dict[Place, StockItem]:
        """Locks these rows until commit; missing ones are absent."""
        wanted = sorted(set(places))
        if not wanted:
            return {}
        return await self._locked(
            select(StockRow).where(tuple_(StockRow.location_id, StockRow.sku).in_(wanted))
        )

    async def lock_everywhere(self, skus: Iterable[str]) -> dict[Place, StockItem]:
        """Locks the rows of these skus at every location (for an allocation)."""
        return await self._locked(select(StockRow).where(StockRow.sku.in_(sorted(set(skus)))))

    async def lock_at(self, location_id: str, skus: Iterable[str]) -> dict[str, StockItem]:
        locked = await self.lock((location_id, sku) for sku in skus)
        return {sku: item for (_, sku), item in locked.items()}

    async def _locked(self, query: Select[StockRow]) -> dict[Place, StockItem]:
        rows = await self._session.scalars(
            query.order_by(StockRow.location_id, StockRow.sku).with_for_update()
        )
        items = {}
        for row in rows:
            place = (row.location_id, row.sku)
            self._rows[place] = row
            items[place] = _item(row)
        return items

    async def save(self, items: Iterable[StockItem]) -> None:
        for item in items:
            row = self._rows[(item.location_id, item.sku)]
            row.on_hand = item.on_hand
            row.reserved = item.reserved
        await self._session.flush()

    def add(self, item: StockItem) -> None:
        """A new stock row; what it starts with is its first adjustment, so on_hand is
        always the sum of adjustments less what left with parcels."""
        row = StockRow(
            location_id=item.location_id, sku=item.sku, on_hand=item.on_hand, reserved=item.reserved
        )
        self._session.add(row)
        self._rows[(item.location_id, item.sku)] = row
        if item.on_hand:
            self.record_adjustment(item, item.on_hand, OPENING_STOCK, None)

    async def get(self, sku: str, location_id: str = DEFAULT_LOCATION) -> StockItem | None:
        row = await self._session.get(StockRow, (location_id, sku))
        return None if row is None else _item(row)

    async def levels(self, sku: str) -> list[StockItem]:
        """The sku at every location that has a row for it, by location id."""
        rows = await self._session.scalars(
            select(StockRow).where(StockRow.sku == sku).order_by(StockRow.location_id)
        )
        return [_item(row) for row in rows]

    async def available_at(self, skus: Iterable[str]) -> dict[Place, int]:
        """Units free to order, per (location, sku), without locking."""
        rows = await self._session.execute(
            select(StockRow.location_id, StockRow.sku, StockRow.on_hand - StockRow.reserved).where(
                StockRow.sku.in_(sorted(set(skus)))
            )
        )
        return {(location, sku): int(free) for location, sku, free in rows}

    async def total_on_hand(self, sku: str) -> int:
        return int(
            await self._session.scalar(
                select(func.coalesce(func.sum(StockRow.on_hand), 0)).where(StockRow.sku == sku)
            )
            or 0
        )

    def record_adjustment(
        self, item: StockItem, delta: int, reason: str, actor_id: str | None
    ) -> None:
        self._session.add(
            StockAdjustmentRow(
                sku=item.sku,
                location_id=item.location_id,
                delta=delta,
                reason=reason,
                on_hand_after=item.on_hand,
                actor_id=actor_id,
            )
        )

    async def adjustments(
        self, sku: str, *, location_id: str | None = None, before_id: int | None, limit: int
    ) -> list[StockAdjustment]:
        """Newest first; of one location, or of all."""
        query = select(StockAdjustmentRow).where(StockAdjustmentRow.sku == sku)
        if location_id is not None:
            query = query.where(StockAdjustmentRow.location_id == location_id)
        if before_id is not None:
            query = query.where(StockAdjustmentRow.id < before_id)
        query = query.order_by(StockAdjustmentRow.id.desc()).limit(limit)
        return [
            StockAdjustment(
                id=row.id,
                sku=row.sku,
                delta=row.delta,
                reason=row.reason,
                on_hand_after=row.on_hand_after,
                actor_id=row.actor_id,
                created_at=row.created_at,
                location_id=row.location_id,
            )
            for row in await self._session.scalars(query)
        ]


def _item(row: StockRow) -> StockItem:
    return StockItem(row.sku, row.on_hand, row.reserved, row.location_id)
