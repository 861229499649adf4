"""The catalog: products and their prices, as plain records."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import ProductRow, table_of
from domain.catalog import Product

_PRODUCTS = table_of(ProductRow)
# Built once, read as rows: every placing and every reservation asks.
_MANY = select(_PRODUCTS).where(_PRODUCTS.c.sku.in_(bindparam("skus", expanding=True)))

# What an admin may change on a product.
EDITABLE = frozenset(
    {"name", "description", "price_amount", "active", "returnable", "return_window_days"}
)


class ProductRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_many(self, skus: Iterable[str]) -> dict[str, Product]:
        rows = await self._session.execute(_MANY, {"skus": list(set(skus))})
        return {row.sku: _product(row) for row in rows}

    async def get(self, sku: str) -> Product | None:
        row = await self._session.get(ProductRow, sku)
        return _product(row) if row is not None else None

    async def create(
        self,
        *,
        sku: str,
        name: str,
        price_amount: int,
        currency: str,
        description: str | None = None,
        active: bool = True,
        returnable: bool = True,
        return_window_days: int | None = None,
    ) -> None:
        """Adds the product; a taken sku raises IntegrityError here, at once."""
        self._session.add(
            ProductRow(
                sku=sku,
                name=name,
                description=description,
                price_amount=price_amount,
                currency=currency,
                active=active,
                returnable=returnable,
                return_window_days=return_window_days,
            )
        )
        await self._session.flush()

    async def change(self, sku: str, changes: dict[str, Any]) -> bool:
        """Applies the changes (fields of EDITABLE); False when there is no such product."""
        unknown = set(changes) - EDITABLE
        if unknown:
            raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
        row = await self._session.get(ProductRow, sku, with_for_update=True)
        if row is None:
            return False
        for field, value in changes.items():
            setattr(row, field, value)
        await self._session.flush()
        return True

    async def page(
        self, *, active: bool | None, after_sku: str | None, limit: int
    ) -> list[Product]:
        query = select(ProductRow)
        if active is not None:
            query = query.where(ProductRow.active == active)
        if after_sku is not None:
            query = query.where(ProductRow.sku > after_sku)
        rows = await self._session.scalars(query.order_by(ProductRow.sku).limit(limit))
        return [_product(row) for row in rows]


def _product(row: ProductRow | Row[Any]) -> Product:
    return Product(
        sku=row.sku,
        name=row.name,
        description=row.description,
        price_amount=row.price_amount,
        currency=row.currency,
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
        returnable=row.returnable,
        return_window_days=row.return_window_days,
    )
