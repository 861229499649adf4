"""/v1/products: the catalog. Anyone may read it; admins change it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.auth import AdminCaller, CurrentCaller
from api.links import segment
from api.pagination import CursorParam, Limit, Page, decode_cursor, encode_cursor
from api.problems import PROBLEM_RESPONSE
from api.resources import ServicesDep
from api.schemas.catalog import ProductIn, ProductOut, ProductPatch
from api.schemas.common import Money
from domain.catalog import Product
from services.catalog import ChangeProduct, NewProduct, Price

router = APIRouter(prefix="/v1/products", tags=["catalog"])


def product_out(product: Product) -> ProductOut:
    return ProductOut(
        sku=product.sku,
        name=product.name,
        description=product.description,
        price=Money(amount=product.price_amount, currency=product.currency),
        active=product.active,
        returnable=product.returnable,
        return_window_days=product.return_window_days,
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
    body: ProductIn, caller: AdminCaller, services: ServicesDep, response: Response
) -> ProductOut:
    """Adds a product with no stock; stock it with `PUT /v1/inventory/{sku}`."""
    product = await services.catalog.create(
        NewProduct(
            sku=body.sku,
            name=body.name,
            price=_price(body.price),
            description=body.description,
            active=body.active,
            returnable=body.returnable,
            return_window_days=body.return_window_days,
        )
    )
    response.headers["Location"] = f"/v1/products/{segment(body.sku)}"
    return product_out(product)


@router.get("", summary="List products")
async def list_products(
    caller: CurrentCaller,
    services: ServicesDep,
    active: Annotated[bool | None, Query(description="Only active (or inactive) ones.")] = None,
    limit: Limit = 20,
    cursor: CursorParam = None,
) -> Page[ProductOut]:
    """In sku order."""
    position = decode_cursor(cursor, 1)
    products = await services.catalog.products(
        active=active, after_sku=position[0] if position else None, limit=limit + 1
    )
    page = products[:limit]
    return Page[ProductOut](
        data=[product_out(product) for product in page],
        next_cursor=encode_cursor(page[-1].sku) if len(products) > limit else None,
    )


@router.get(
    "/{sku}",
    summary="Get a product",
    responses={404: {"description": "No such product", **PROBLEM_RESPONSE}},
)
async def get_product(sku: str, caller: CurrentCaller, services: ServicesDep) -> ProductOut:
    """Inactive products stay readable; they only cannot be ordered."""
    return product_out(await services.catalog.product(sku))


@router.patch(
    "/{sku}",
    summary="Change a product",
    responses={404: {"description": "No such product", **PROBLEM_RESPONSE}},
)
async def update_product(
    sku: str, body: ProductPatch, caller: AdminCaller, services: ServicesDep
) -> ProductOut:
    """Changes name, description, price or active. A new price applies to orders placed
    from now on; placed orders keep the price they were placed at."""
    product = await services.catalog.change(
        ChangeProduct(
            sku=sku,
            name=body.name,
            price=_price(body.price) if body.price is not None else None,
            active=body.active,
            description=body.description,
            description_given="description" in body.model_fields_set,
            returnable=body.returnable,
            return_window_days=body.return_window_days,
            return_window_given="return_window_days" in body.model_fields_set,
        )
    )
    return product_out(product)


def _price(money: Money) -> Price:
    return Price(amount=money.amount, currency=money.currency)
