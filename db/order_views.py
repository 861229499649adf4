"""Read-side queries of the order read model (what the API shows)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import OrderEventRow, OrderRow


async def find_order(session: AsyncSession, order_id: str) -> OrderRow | None:
    return await session.scalar(select(OrderRow).where(OrderRow.id == order_id))


async def find_order_by_tracking(session: AsyncSession, tracking_number: str) -> OrderRow | None:
    return await session.scalar(select(OrderRow).where(OrderRow.tracking_number == tracking_number))


async def order_timeline(session: AsyncSession, order_id: str) -> Sequence[OrderEventRow]:
    rows = await session.scalars(
        select(OrderEventRow).where(OrderEventRow.order_id == order_id).order_by(OrderEventRow.id)
    )
    return rows.all()
