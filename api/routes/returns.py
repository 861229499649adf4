"""/v1/orders/{id}/returns and /v1/returns: send delivered units back, and the
warehouse's and operators' decisions on them (services/returns.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.api_metrics import RETURN_UNITS
from api.auth import CurrentCaller, OpsCaller
from api.links import segment
from api.pagination import CursorParam, Limit, Page, decode_time_cursor, time_cursor
from api.problems import PROBLEM_RESPONSE, Problem
from api.resources import ServicesDep
from api.routes.orders import IdempotencyKey
from api.schemas.returns import ReceiveIn, ReturnIn, ReturnOut, ReviewIn
from domain.eligibility import Wanted
from domain.identity import request_fingerprint
from domain.returns import Disposition, ReturnStatus
from services.returns import RequestReturn, ReturnQuery

orders = APIRouter(prefix="/v1/orders", tags=["returns"])
router = APIRouter(prefix="/v1/returns", tags=["returns"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such return (or not yours)", **PROBLEM_RESPONSE}
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "The return's status does not take this", **PROBLEM_RESPONSE}
}


@orders.post(
    "/{order_id}/returns",
    status_code=201,
    summary="Return delivered units",
    responses={
        400: {"description": "Idempotency-Key missing or malformed JSON", **PROBLEM_RESPONSE},
        404: {"description": "No such order (or not yours)", **PROBLEM_RESPONSE},
        409: {
            "description": "Some items cannot be returned at all (`items` says why)",
            **PROBLEM_RESPONSE,
        },
        422: {
            "description": "Invalid return, more units than can still be returned, or the "
            "key was used with another body",
            **PROBLEM_RESPONSE,
        },
    },
)
async def request_return(
    order_id: str,
    body: ReturnIn,
    caller: CurrentCaller,
    services: ServicesDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ReturnOut:
    """Asks to send units back. Below the review threshold it is approved at once and
    a label follows from the carrier; above it, an operator reviews it first. Ship it
    by `expires_at`; the refund of what arrives follows the warehouse's inspection."""
    if not idempotency_key:
        raise Problem(
            400,
            "/problems/idempotency-key-missing",
            "a return needs an Idempotency-Key header (1 to 255 characters)",
        )
    requested = await services.returns.request(
        RequestReturn(
            order_id,
            caller,
            [Wanted(i.sku, i.quantity, i.reason, i.note) for i in body.items],
            idempotency_key,
            request_fingerprint(body.model_dump(mode="json")),
            [(i.sku, i.quantity) for i in body.exchange_items or ()],
            body.payment.token if body.payment else None,
        )
    )
    if requested.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    else:
        for item in requested.rma.items:
            RETURN_UNITS.labels(item.reason).inc(item.quantity)
    response.headers["Location"] = f"/v1/returns/{segment(requested.rma.id)}"
    return ReturnOut.of(requested.rma)


@orders.get(
    "/{order_id}/returns",
    summary="An order's returns",
    responses={404: {"description": "No such order (or not yours)", **PROBLEM_RESPONSE}},
)
async def order_returns(
    order_id: str, caller: CurrentCaller, services: ServicesDep
) -> list[ReturnOut]:
    """Oldest first."""
    return [ReturnOut.of(rma) for rma in await services.returns.of_order(caller, order_id)]


@router.get("", summary="List returns")
async def list_returns(
    caller: CurrentCaller,
    services: ServicesDep,
    status: Annotated[ReturnStatus | None, Query(description="Only returns in it.")] = None,
    order_id: Annotated[str | None, Query(max_length=40, description="Only this order's.")] = None,
    limit: Limit = 20,
    cursor: CursorParam = None,
) -> Page[ReturnOut]:
    """Newest first. Customers see only their own."""
    query = ReturnQuery(status, order_id, decode_time_cursor(cursor), limit + 1)
    found = await services.returns.page(caller, query)
    page = found[:limit]
    last = page[-1] if page else None
    return Page[ReturnOut](
        data=[ReturnOut.of(rma) for rma in page],
        next_cursor=time_cursor(last.created_at, last.id)
        if last is not None and last.created_at is not None and len(found) > limit
        else None,
    )


@router.get("/{return_id}", summary="Get a return", responses=NOT_FOUND)
async def get_return(return_id: str, caller: CurrentCaller, services: ServicesDep) -> ReturnOut:
    """With its label once issued and its refund once received; customers see their own."""
    return ReturnOut.of(await services.returns.find(caller, return_id))


@router.post(
    "/{return_id}/review",
    summary="Approve or reject a return awaiting review",
    responses={
        403: {"description": "Only ops and admin review", **PROBLEM_RESPONSE},
        **NOT_FOUND,
        **CONFLICT,
    },
)
async def review_return(
    return_id: str, body: ReviewIn, caller: OpsCaller, services: ServicesDep
) -> ReturnOut:
    """Only while `awaiting_review`; an approved return gets its label from the carrier
    next, a rejected one lets its units go (they may be asked back again)."""
    rma = await services.returns.review(caller, return_id, body.decision == "approve", body.note)
    return ReturnOut.of(rma)


@router.post(
    "/{return_id}/receive",
    summary="Record what the warehouse received",
    responses={
        403: {"description": "Only ops and admin receive", **PROBLEM_RESPONSE},
        **NOT_FOUND,
        **CONFLICT,
        422: {"description": "Units not all accounted for", **PROBLEM_RESPONSE},
    },
)
async def receive_return(
    return_id: str, body: ReceiveIn, caller: OpsCaller, services: ServicesDep
) -> ReturnOut:
    """Restocked units go back on the shelf where they shipped from; damaged ones are
    written off there; missing ones are neither. What came back (restocked and
    damaged) is refunded; missing units only by an explicit refund."""
    skus = [line.sku for line in body.items]
    if len(set(skus)) != len(skus):
        raise Problem(422, "/problems/validation", "each sku once in `items`")
    found = {line.sku: Disposition(line.restock, line.damaged, line.missing) for line in body.items}
    return ReturnOut.of(await services.returns.receive(caller, return_id, found))


@router.post(
    "/{return_id}/cancel",
    summary="Cancel a return",
    responses={**NOT_FOUND, **CONFLICT},
)
async def cancel_return(return_id: str, caller: CurrentCaller, services: ServicesDep) -> ReturnOut:
    """The customer until the parcel is in transit; ops and admin until it is received."""
    return ReturnOut.of(await services.returns.cancel(caller, return_id))
