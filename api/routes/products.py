"""/v1/products: the catalog. Anyone may read it; admins change it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.exc import IntegrityError

from api.auth import AdminCaller, CurrentCaller
from api.pagination import CursorParam, Limit, Page, decode_cursor, encode_cursor
from api.problems import PROBLEM_RESPONSE, Problem
from api.resources import Resources, ResourcesDep
from api.schemas.catalog import ProductIn, ProductOut, ProductPatch
from api.schemas.common import Money
from db.catalog import Product
from domain.inventory import StockItem

router = APIRouter(prefix="/v1/products", tags=["catalog"])


def product_out(product: Product) -> ProductOut:
    return ProductOut(
        sku=product.sku,
        name=product.name,
        description=product.description,
        price=Money(amount=product.price_amount, currency=product.currency),
        active=product.active,
        created_at=product.created_at,
        updated_at=product.updated_at,
    )


@router.post(
    "",
    status_code=201,
    summary="Create a product",
    responses={
        409: {"description": "The sku exists", **PROBLEM_RESPONSE},
        422: {"description": "Invalid product or another currency", **PROBLEM_RESPONSE},
    },
)
async def create_product(
    body: ProductIn, caller: AdminCaller, resources: ResourcesDep, response: Response
) -> ProductOut:
    """Adds a product with no stock; stock it with `PUT /v1/inventory/{sku}`."""
    _check_currency(resources, body.price)
    try:
        async with resources.unit_of_work() as uow:
            await uow.products.create(
                sku=body.sku,
                name=body.name,
                description=body.description,
                price_amount=body.price.amount,
                currency=body.price.currency,
                active=body.active,
            )
            uow.stock.add(StockItem(body.sku, on_hand=0))
            await uow.commit()
    except IntegrityError:
        raise Problem(409, "/problems/sku-taken", f"a product {body.sku} exists") from None
    response.headers["Location"] = f"/v1/products/{body.sku}"
    return await _product(resources, body.sku)


@router.get("", summary="List products")
async def list_products(
    caller: CurrentCaller,
    resources: ResourcesDep,
    active: Annotated[bool | None, Query(description="Only active (or inactive) ones.")] = None,
    limit: Limit = 20,
    cursor: CursorParam = None,
) -> Page[ProductOut]:
    """In sku order."""
    position = decode_cursor(cursor, 1)
    async with resources.unit_of_work() as uow:
        rows = await uow.products.page(
            active=active, after_sku=position[0] if position else None, limit=limit + 1
        )
    page = rows[:limit]
    return Page[ProductOut](
        data=[product_out(row) for row in page],
        next_cursor=encode_cursor(page[-1].sku) if len(rows) > limit else None,
    )


@router.get(
    "/{sku}",
    summary="Get a product",
    responses={404: {"description": "No such product", **PROBLEM_RESPONSE}},
)
async def get_product(sku: str, caller: CurrentCaller, resources: ResourcesDep) -> ProductOut:
    """Inactive products stay readable; they only cannot be ordered."""
    return await _product(resources, sku)


@router.patch(
    "/{sku}",
    summary="Change a product",
    responses={404: {"description": "No such product", **PROBLEM_RESPONSE}},
)
async def update_product(
    sku: str, body: ProductPatch, caller: AdminCaller, resources: ResourcesDep
) -> ProductOut:
    """Changes name, description, price or active. A new price applies to orders placed
    from now on; placed orders keep the price they were placed at."""
    if body.price is not None:
        _check_currency(resources, body.price)
    given = body.model_dump(exclude_unset=True)
    changes: dict[str, object] = {}
    if body.name is not None:
        changes["name"] = body.name
    if "description" in given:
        changes["description"] = body.description
    if body.price is not None:
        changes["price_amount"] = body.price.amount
    if body.active is not None:
        changes["active"] = body.active
    async with resources.unit_of_work() as uow:
        if not await uow.products.change(sku, changes):
            raise _no_product(sku)
        await uow.commit()
    return await _product(resources, sku)


async def _product(resources: Resources, sku: str) -> ProductOut:
    async with resources.unit_of_work() as uow:
        product = await uow.products.get(sku)
    if product is None:
        raise _no_product(sku)
    return product_out(product)


def _no_product(sku: str) -> Problem:
    return Problem(404, "/problems/not-found", f"there is no product {sku}")


def _check_currency(resources: Resources, price: Money) -> None:
    if price.currency != resources.settings.currency:
        raise Problem(
            422,
            "/problems/validation",
            f"prices are in {resources.settings.currency}",
            errors=[{"pointer": "/price/currency", "detail": "another currency"}],
        )
