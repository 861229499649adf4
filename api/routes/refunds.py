"""/v1/orders/{id}/refunds: give money back, through the one refunds ledger."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.auth import CurrentCaller, OpsCaller
from api.links import segment
from api.problems import PROBLEM_RESPONSE, Problem
from api.resources import ServicesDep
from api.routes.orders import IdempotencyKey
from api.schemas.refunds import RefundIn, RefundOut
from domain.identity import request_fingerprint
from domain.refunds import RefundReason
from services.refunds import RequestRefund

router = APIRouter(prefix="/v1/orders", tags=["refunds"])


@router.post(
    "/{order_id}/refunds",
    status_code=201,
    summary="Refund an order, in part or in whole",
    responses={
        400: {"description": "Idempotency-Key missing or malformed JSON", **PROBLEM_RESPONSE},
        403: {"description": "Only ops and admin refund", **PROBLEM_RESPONSE},
        404: {"description": "No such order", **PROBLEM_RESPONSE},
        409: {
            "description": "More than was captured less what is refunded "
            "(`left` says what can still be refunded)",
            **PROBLEM_RESPONSE,
        },
        422: {
            "description": "Invalid refund, or the key was used with another body",
            **PROBLEM_RESPONSE,
        },
    },
)
async def refund_order(
    order_id: str,
    body: RefundIn,
    caller: OpsCaller,
    services: ServicesDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> RefundOut:
    """Records the refund, checked against what was captured in the same transaction,
    and hands it to the payment provider under its own key. `pending` until the
    provider confirms it; a refund the provider will not make is `failed` and goes to
    an operator, never lost."""
    if not idempotency_key:
        raise Problem(
            400,
            "/problems/idempotency-key-missing",
            "a refund needs an Idempotency-Key header (1 to 255 characters)",
        )
    requested = await services.refunds.request(
        RequestRefund(
            order_id,
            caller,
            body.amount.amount,
            body.amount.currency,
            RefundReason(body.reason.value),
            idempotency_key,
            request_fingerprint(body.model_dump(mode="json")),
            body.note,
        )
    )
    if requested.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/v1/orders/{segment(order_id)}/refunds"
    return RefundOut.of(requested.refund)


@router.get(
    "/{order_id}/refunds",
    summary="An order's refunds",
    responses={404: {"description": "No such order (or not yours)", **PROBLEM_RESPONSE}},
)
async def list_refunds(
    order_id: str, caller: CurrentCaller, services: ServicesDep
) -> list[RefundOut]:
    """Every refund of the order, whatever caused it, oldest first."""
    return [RefundOut.of(refund) for refund in await services.refunds.of_order(caller, order_id)]
