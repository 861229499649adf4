"""/v1/orders: place, list, read, cancel, review and edit orders. Their timelines are
in api/routes/order_timeline.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from api.auth import CurrentCaller, OpsCaller
from api.links import segment
from api.pagination import CursorParam, Limit, Page, decode_time_cursor, time_cursor
from api.problems import PROBLEM_RESPONSE, Problem
from api.resources import ServicesDep
from api.schemas.common import MoneyDifference
from api.schemas.order_decisions import CancelIn, DecisionOut, OrderDecisionOut, ReviewIn
from api.schemas.orders import (
    EditedOut,
    EditOrderIn,
    OrderOut,
    PlaceOrderIn,
)
from domain.commands import LineRequest
from domain.identity import request_fingerprint
from domain.order import Address, OrderStatus
from services.orders import CancelOrder, EditOrder, OrderQuery, ReviewOrder
from services.placing import OrderRequest

router = APIRouter(prefix="/v1/orders", tags=["orders"])
_NO_REASON = CancelIn()  # the body of a cancel is optional

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
async def place_order(
    body: PlaceOrderIn,
    caller: CurrentCaller,
    services: ServicesDep,
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
    placed = await services.placing.place(
        caller,
        OrderRequest(
            idempotency_key=idempotency_key,
            fingerprint=request_fingerprint(body.model_dump(mode="json")),
            lines=[LineRequest(item.sku, item.quantity) for item in body.items],
            shipping_address=Address(**body.shipping_address.model_dump()),
            payment_token=body.payment.token,
            customer_id=body.customer_id,
        ),
    )
    if placed.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/v1/orders/{segment(placed.order.id)}"
    return OrderOut.of(placed.order)


@router.get("", summary="List orders")
async def list_orders(
    caller: CurrentCaller,
    services: ServicesDep,
    status: Annotated[OrderStatus | None, Query(description="Only orders in this status.")] = None,
    customer_id: Annotated[
        str | None, Query(max_length=40, description="Only this customer's (ops and admin).")
    ] = None,
    limit: Limit = 20,
    cursor: CursorParam = None,
) -> Page[OrderOut]:
    """Newest first. Customers see only their own orders."""
    query = OrderQuery(status, customer_id, decode_time_cursor(cursor), limit + 1)
    orders = await services.orders.page(caller, query)
    page = orders[:limit]
    return Page[OrderOut](
        data=[OrderOut.of(order) for order in page],
        next_cursor=time_cursor(page[-1].created_at, page[-1].id) if len(orders) > limit else None,
    )


@router.get(
    "/{order_id}",
    summary="Get an order",
    responses={404: {"description": "No such order (or not yours)", **PROBLEM_RESPONSE}},
)
async def get_order(order_id: str, caller: CurrentCaller, services: ServicesDep) -> OrderOut:
    """The order as it stands now, from the read model."""
    return OrderOut.of(await services.orders.find(caller, order_id))


@router.post(
    "/{order_id}/cancel",
    summary="Cancel an order",
    responses={
        404: {"description": "No such order (or not yours)", **PROBLEM_RESPONSE},
        409: {"description": "Shipped, delivered or failed: not cancellable", **PROBLEM_RESPONSE},
    },
)
async def cancel_order(
    order_id: str, caller: CurrentCaller, services: ServicesDep, body: CancelIn = _NO_REASON
) -> OrderDecisionOut:
    """Cancels the order and undoes what was done: the stock is released and the payment
    voided. The answer shows `cancelled` once that is finished; if it takes longer than
    a few seconds, it says the undoing goes on in the background (`in_background`)."""
    taken = await services.orders.cancel(CancelOrder(order_id, caller, body.reason))
    decision = DecisionOut(action="cancel", by=caller.user_id, note=body.reason)
    return OrderDecisionOut.after(taken.order, decision)


@router.post(
    "/{order_id}/review",
    summary="Approve or reject an order held for review",
    responses={
        403: {"description": "Only ops and admin review orders", **PROBLEM_RESPONSE},
        404: {"description": "No such order", **PROBLEM_RESPONSE},
        409: {"description": "The order is not awaiting review", **PROBLEM_RESPONSE},
    },
)
async def review_order(
    order_id: str, body: ReviewIn, caller: OpsCaller, services: ServicesDep
) -> OrderDecisionOut:
    """Orders above the review threshold wait here for an ops decision; nobody deciding
    in time rejects them. The answer says what was decided and what follows."""
    approve = body.decision == "approve"
    taken = await services.orders.review(ReviewOrder(order_id, caller, approve, body.note))
    decision = DecisionOut(action=body.decision, by=caller.user_id, note=body.note)
    return OrderDecisionOut.after(taken.order, decision)


@router.post(
    "/{order_id}/edits",
    summary="Edit an order before it ships",
    responses={
        400: {"description": "Idempotency-Key missing or malformed JSON", **PROBLEM_RESPONSE},
        404: {"description": "No such order (or not yours)", **PROBLEM_RESPONSE},
        409: {
            "description": "A parcel is booked (`not-editable`), the card declined the "
            "difference (`payment-declined`), or stock is short (`out-of-stock`)",
            **PROBLEM_RESPONSE,
        },
        422: {
            "description": "Invalid edit, or the key was used with another body",
            **PROBLEM_RESPONSE,
        },
        503: {"description": "Still being made: retry with the same key", **PROBLEM_RESPONSE},
    },
)
async def edit_order(
    order_id: str,
    body: EditOrderIn,
    caller: CurrentCaller,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
    dry_run: Annotated[
        bool, Query(description="Price the edit and answer as if made; change nothing.")
    ] = False,
) -> EditedOut:
    """Changes the items (the new full list) and/or the shipping address, all or
    nothing: the stock is held again, the payment difference authorized (or released
    when the payment is taken), and a new total above the review threshold goes back to
    review. Editable until any of its parcels is booked at the carrier."""
    if not idempotency_key:
        raise Problem(
            400,
            "/problems/idempotency-key-missing",
            "an edit needs an Idempotency-Key header (1 to 255 characters)",
        )
    edited = await services.orders.edit(
        EditOrder(
            order_id,
            caller,
            idempotency_key,
            request_fingerprint(body.model_dump(mode="json")),
            lines=(
                [LineRequest(item.sku, item.quantity) for item in body.items]
                if body.items is not None
                else None
            ),
            shipping_address=(
                Address(**body.shipping_address.model_dump()) if body.shipping_address else None
            ),
            dry_run=dry_run,
        )
    )
    return EditedOut(
        order=OrderOut.of(edited.order),
        difference=MoneyDifference(amount=edited.difference, currency=edited.order.currency),
        dry_run=dry_run,
        held_for_review=edited.held_for_review,
    )
