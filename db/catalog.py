from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import ProductRow


class ProductRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_many(self, skus: Iterable[str]) -> dict[str, ProductRow]:
        rows = await self._session.scalars(select(ProductRow).where(ProductRow.sku.in_(set(skus))))
        return {row.sku: row for row in rows}

    async def get(self, sku: str) -> ProductRow | None:
        return await self._session.get(ProductRow, sku)

    def add(self, product: ProductRow) -> None:
        self._session.add(product)

    async def page(
        self, *, active: bool | None, after_sku: str | None, limit: int
    ) -> list[ProductRow]:
        query = select(ProductRow)
        if active is not None:
            query = query.where(ProductRow.active == active)
        if after_sku is not None:
            query = query.where(ProductRow.sku > after_sku)
        return list(await self._session.scalars(query.order_by(ProductRow.sku).limit(limit)))
