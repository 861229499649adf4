"""/v1/orders: place, read, follow, cancel and review orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from api.auth import CurrentCaller, OpsCaller
from api.order_commands import (
    WorkflowClosed,
    cancel_order,
    place_order,
    review_order,
    saga_policy,
)
from api.order_views import order_out
from api.pagination import CursorParam, Limit, Page, decode_time_cursor, time_cursor
from api.problems import PROBLEM_RESPONSE, Problem
from api.resources import Resources, ResourcesDep
from api.schemas.orders import CancelIn, OrderEventOut, OrderOut, PlaceOrderIn, ReviewIn
from db.order_views import find_order, order_timeline
from db.order_views import list_orders as db_list_orders
from db.tables import OrderRow
from domain import events
from domain.commands import LineRequest
from domain.identity import new_id, request_fingerprint
from domain.order import Address, OrderStatus
from domain.users import Caller, Role, Tier
from workflows.contracts import CancelRequest, OrderWorkflowInput, ReviewDecision

router = APIRouter(prefix="/v1/orders", tags=["orders"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Required. The same key and body again replays the first answer.",
    ),
]


@router.post(
    "",
    status_code=201,
    summary="Place an order",
    responses={
        400: {"description": "Idempotency-Key missing or malformed JSON", **PROBLEM_RESPONSE},
        409: {"description": "Out of stock (`skus` names the short items)", **PROBLEM_RESPONSE},
        422: {
            "description": "Invalid order, or the key was used with another body",
            **PROBLEM_RESPONSE,
        },
        503: {
            "description": "A dependency is unreachable; retry with the same key",
            **PROBLEM_RESPONSE,
        },
    },
)
async def place(
    body: PlaceOrderIn,
    caller: CurrentCaller,
    resources: ResourcesDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> OrderOut:
    """Reserves stock for every item and answers once the stock is held (`201`) or
    refused (`409`). Payment, shipping and tracking then go on in the background;
    follow them with `GET /v1/orders/{id}` and its `/events`."""
    if not idempotency_key:
        raise Problem(
            400,
            "/problems/idempotency-key-missing",
            "POST /v1/orders needs an Idempotency-Key header (1 to 255 characters)",
        )
    fingerprint = request_fingerprint(body.model_dump(mode="json"))
    async with resources.unit_of_work() as uow:
        claim = await uow.idempotency.live(caller.user_id, idempotency_key)
        existing = await find_order(uow.session, claim.order_id) if claim else None
    if claim is not None and claim.fingerprint != fingerprint:
        raise _key_reused()
    if existing is not None:
        return await _replay(resources, existing, fingerprint, response)

    customer_id, tier = await _customer_for(resources, caller, body.customer_id)
    await resources.shedder.admit(Tier(tier))
    await _check_for_sale(resources, body)
    async with resources.unit_of_work() as uow:
        claim = await uow.idempotency.claim(
            caller.user_id,
            idempotency_key,
            new_id("ord"),
            fingerprint,
            resources.settings.idempotency_window,
        )
        await uow.commit()
    if claim.fingerprint != fingerprint:  # a concurrent first use with another body won
        raise _key_reused()
    order_id = claim.order_id

    try:
        placement = await place_order(
            resources.temporal,
            resources.settings,
            OrderWorkflowInput(
                order_id=order_id,
                customer_id=customer_id,
                customer_tier=tier,
                lines=[LineRequest(item.sku, item.quantity) for item in body.items],
                shipping_address=Address(**body.shipping_address.model_dump()),
                payment_token=body.payment.token,
                currency=resources.settings.currency,
                idempotency_key=idempotency_key,
                fingerprint=fingerprint,
                policy=saga_policy(resources.settings),
            ),
        )
    except WorkflowClosed:
        row = await _read(resources, order_id)
        if row is None:
            raise Problem(
                409,
                "/problems/idempotency-key-spent",
                "this Idempotency-Key belongs to a request that could not be placed; use a new key",
            ) from None
        return await _replay(resources, row, fingerprint, response)

    if placement.unavailable_skus:
        raise Problem(
            422,
            "/problems/validation",
            "some items cannot be ordered",
            errors=[
                {"pointer": f"/items/{index}/sku", "detail": f"{item.sku} is not for sale"}
                for index, item in enumerate(body.items)
                if item.sku in placement.unavailable_skus
            ],
        )
    replay_headers = {"Idempotent-Replayed": "true"} if placement.replayed else {}
    if not placement.reserved:
        raise _out_of_stock(order_id, placement.refused_skus, replay_headers)
    row = await _read(resources, order_id)
    assert row is not None, "a reserved order is in the read model"
    response.headers.update(replay_headers)
    response.headers["Location"] = f"/v1/orders/{order_id}"
    return order_out(row)


@router.get("", summary="List orders")
async def list_orders(
    caller: CurrentCaller,
    resources: ResourcesDep,
    status: Annotated[OrderStatus | None, Query(description="Only orders in this status.")] = None,
    customer_id: Annotated[
        str | None, Query(max_length=40, description="Only this customer's (ops and admin).")
    ] = None,
    limit: Limit = 20,
    cursor: CursorParam = None,
) -> Page[OrderOut]:
    """Newest first. Customers see only their own orders."""
    if not caller.role.sees_all_orders:
        if customer_id not in (None, caller.user_id):
            raise Problem(403, "/problems/forbidden", "customers list only their own orders")
        customer_id = caller.user_id
    async with resources.unit_of_work() as uow:
        rows = await db_list_orders(
            uow.session,
            customer_id=customer_id,
            status=status.value if status else None,
            after=decode_time_cursor(cursor),
            limit=limit + 1,
        )
    page = rows[:limit]
    return Page[OrderOut](
        data=[order_out(row) for row in page],
        next_cursor=time_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None,
    )


@router.get(
    "/{order_id}",
    summary="Get an order",
    responses={404: {"description": "No such order (or not yours)", **PROBLEM_RESPONSE}},
)
async def get_order(order_id: str, caller: CurrentCaller, resources: ResourcesDep) -> OrderOut:
    """The order as it stands now, from the read model."""
    return order_out(await _visible(resources, caller, order_id))


@router.get(
    "/{order_id}/events",
    summary="An order's timeline",
    responses={404: {"description": "No such order (or not yours)", **PROBLEM_RESPONSE}},
)
async def get_order_events(
    order_id: str, caller: CurrentCaller, resources: ResourcesDep
) -> list[OrderEventOut]:
    """Everything that happened to the order, oldest first."""
    await _visible(resources, caller, order_id)
    async with resources.unit_of_work() as uow:
        rows = await order_timeline(uow.session, order_id)
    return [OrderEventOut(type=row.type, at=row.at, data=row.data) for row in rows]


@router.post(
    "/{order_id}/cancel",
    summary="Cancel an order",
    responses={
        404: {"description": "No such order (or not yours)", **PROBLEM_RESPONSE},
        409: {"description": "Shipped, delivered or failed: not cancellable", **PROBLEM_RESPONSE},
    },
)
async def cancel(
    order_id: str, caller: CurrentCaller, resources: ResourcesDep, body: CancelIn | None = None
) -> OrderOut:
    """Cancels the order and undoes what was done: the stock is released and the payment
    voided. The answer shows `cancelled` once that is finished; if it takes longer than
    a few seconds, the order is returned as it stands and completes on its own."""
    row = await _visible(resources, caller, order_id)
    if row.status == OrderStatus.CANCELLED:
        return order_out(row)
    if not OrderStatus(row.status).is_cancellable:
        raise _not_cancellable(row.status)
    request = CancelRequest(reason=body.reason if body else None, requested_by=caller.user_id)
    try:
        await cancel_order(resources.temporal, resources.settings, order_id, request)
    except WorkflowClosed:
        pass
    row = await _visible(resources, caller, order_id)
    if row.status in (OrderStatus.FAILED, OrderStatus.DELIVERED):
        raise _not_cancellable(row.status)
    return order_out(row)


@router.post(
    "/{order_id}/review",
    summary="Approve or reject an order held for review",
    responses={
        403: {"description": "Only ops and admin review orders", **PROBLEM_RESPONSE},
        404: {"description": "No such order", **PROBLEM_RESPONSE},
        409: {"description": "The order is not awaiting review", **PROBLEM_RESPONSE},
    },
)
async def review(
    order_id: str, body: ReviewIn, caller: OpsCaller, resources: ResourcesDep
) -> OrderOut:
    """Orders above the review threshold wait here for an ops decision; nobody deciding
    in time rejects them."""
    row = await _visible(resources, caller, order_id)
    if row.status != OrderStatus.AWAITING_REVIEW:
        raise _not_awaiting_review(row.status)
    decision = ReviewDecision(body.decision == "approve", caller.user_id, body.note)
    try:
        await review_order(resources.temporal, resources.settings, order_id, decision)
    except WorkflowClosed:
        raise _not_awaiting_review(row.status) from None
    return order_out(await _visible(resources, caller, order_id))


# -- helpers ---------------------------------------------------------------------


async def _read(resources: Resources, order_id: str) -> OrderRow | None:
    async with resources.unit_of_work() as uow:
        return await find_order(uow.session, order_id)


async def _visible(resources: Resources, caller: Caller, order_id: str) -> OrderRow:
    """The order, if the caller may see it; customers get 404 for others' orders."""
    row = await _read(resources, order_id)
    if row is None or (not caller.role.sees_all_orders and row.customer_id != caller.user_id):
        raise Problem(404, "/problems/not-found", f"there is no order {order_id}")
    return row


async def _customer_for(
    resources: Resources, caller: Caller, customer_id: str | None
) -> tuple[str, str]:
    if customer_id is None or customer_id == caller.user_id:
        return caller.user_id, caller.tier.value
    if caller.role is Role.CUSTOMER:
        raise Problem(403, "/problems/forbidden", "customers place orders only for themselves")
    async with resources.unit_of_work() as uow:
        customer = await uow.users.get(customer_id)
    if customer is None:
        raise Problem(
            422,
            "/problems/validation",
            "the customer does not exist",
            errors=[{"pointer": "/customer_id", "detail": f"no user {customer_id}"}],
        )
    return customer.id, Tier(customer.tier).value


async def _check_for_sale(resources: Resources, body: PlaceOrderIn) -> None:
    """Unknown, inactive or foreign-currency skus: 422, before anything is written."""
    async with resources.unit_of_work() as uow:
        products = await uow.products.get_many(item.sku for item in body.items)
    not_for_sale = [
        {"pointer": f"/items/{index}/sku", "detail": f"{item.sku} is unknown or not for sale"}
        for index, item in enumerate(body.items)
        if item.sku not in products
        or not products[item.sku].active
        or products[item.sku].currency != resources.settings.currency
    ]
    if not_for_sale:
        raise Problem(
            422, "/problems/validation", "some items cannot be ordered", errors=not_for_sale
        )


def _key_reused() -> Problem:
    return Problem(
        422,
        "/problems/idempotency-key-reused",
        "this Idempotency-Key was used with a different request body",
    )


async def _replay(
    resources: Resources, row: OrderRow, fingerprint: str, response: Response
) -> OrderOut:
    """The first answer again, for the same key and body."""
    if row.fingerprint != fingerprint:
        raise _key_reused()
    headers = {"Idempotent-Replayed": "true"}
    if row.failure_reason == "out_of_stock":
        async with resources.unit_of_work() as uow:
            refused = await uow.orders.event_data(row.id, events.INVENTORY_REFUSED)
        raise _out_of_stock(row.id, list((refused or {}).get("skus", [])), headers)
    response.headers.update(headers)
    response.headers["Location"] = f"/v1/orders/{row.id}"
    return order_out(row)


def _out_of_stock(order_id: str, skus: list[str], headers: dict[str, str]) -> Problem:
    return Problem(
        409,
        "/problems/out-of-stock",
        f"not enough stock for {', '.join(skus)}",
        title="Out of stock",
        headers=headers,
        skus=skus,
        order_id=order_id,
    )


def _not_cancellable(status: str) -> Problem:
    return Problem(
        409, "/problems/not-cancellable", f"the order is {status} and can no longer be cancelled"
    )


def _not_awaiting_review(status: str) -> Problem:
    return Problem(409, "/problems/not-awaiting-review", f"the order is {status}, not in review")
