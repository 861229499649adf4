"""Inventory rows, locked in sku order so that concurrent orders never deadlock."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import StockAdjustmentRow, StockRow
from domain.inventory import StockAdjustment, StockItem

# The reason of the adjustment that a new stock row starts with.
OPENING_STOCK = "opening stock"


class StockRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._rows: dict[str, StockRow] = {}

    async def lock(self, skus: Iterable[str]) -> dict[str, StockItem]:
        """Locks the rows of these skus until commit; missing skus are absent."""
        rows = await self._session.scalars(
            select(StockRow)
            .where(StockRow.sku.in_(sorted(set(skus))))
            .order_by(StockRow.sku)
            .with_for_update()
        )
        items = {}
        for row in rows:
            self._rows[row.sku] = row
            items[row.sku] = StockItem(row.sku, row.on_hand, row.reserved)
        return items

    async def save(self, items: Iterable[StockItem]) -> None:
        for item in items:
            row = self._rows[item.sku]
            row.on_hand = item.on_hand
            row.reserved = item.reserved
        await self._session.flush()

    def add(self, item: StockItem) -> None:
        """A new stock row; what it starts with is its first adjustment, so on_hand is
        always the sum of adjustments less what left with parcels."""
        row = StockRow(sku=item.sku, on_hand=item.on_hand, reserved=item.reserved)
        self._session.add(row)
        self._rows[item.sku] = row
        if item.on_hand:
            self.record_adjustment(item, item.on_hand, OPENING_STOCK, None)

    async def get(self, sku: str) -> StockItem | None:
        row = await self._session.get(StockRow, sku)
        return None if row is None else StockItem(row.sku, row.on_hand, row.reserved)

    def record_adjustment(
        self, item: StockItem, delta: int, reason: str, actor_id: str | None
    ) -> None:
        self._session.add(
            StockAdjustmentRow(
                sku=item.sku,
                delta=delta,
                reason=reason,
                on_hand_after=item.on_hand,
                actor_id=actor_id,
            )
        )

    async def adjustments(
        self, sku: str, *, before_id: int | None, limit: int
    ) -> list[StockAdjustment]:
        """Newest first."""
        query = select(StockAdjustmentRow).where(StockAdjustmentRow.sku == sku)
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
            )
            for row in await self._session.scalars(query)
        ]
