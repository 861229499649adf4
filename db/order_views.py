"""Read-side queries of the order read model (what the API shows)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, tuple_
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


async def list_orders(
    session: AsyncSession,
    *,
    customer_id: str | None,
    status: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> Sequence[OrderRow]:
    """Newest first, `limit` rows after the keyset position `after`.

    Served by ix_orders_customer_created / ix_orders_status_created / ix_orders_created.
    """
    query = select(OrderRow)
    if customer_id is not None:
        query = query.where(OrderRow.customer_id == customer_id)
    if status is not None:
        query = query.where(OrderRow.status == status)
    if after is not None:
        query = query.where(tuple_(OrderRow.created_at, OrderRow.id) < tuple_(*after))
    query = query.order_by(OrderRow.created_at.desc(), OrderRow.id.desc()).limit(limit)
    return (await session.scalars(query)).all()
