"""/v1/orders/{id}/claims: compensate delivered units that arrived damaged, short or
wrong, without a return (services/claims.py)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.api_metrics import CLAIMS
from api.auth import CurrentCaller, OpsCaller
from api.links import segment
from api.problems import PROBLEM_RESPONSE, Problem
from api.resources import ServicesDep
from api.routes.orders import IdempotencyKey
from api.schemas.claims import ClaimIn, ClaimOut
from domain.eligibility import Wanted
from domain.identity import request_fingerprint
from services.claims import OpenClaim

router = APIRouter(prefix="/v1/orders", tags=["claims"])


@router.post(
    "/{order_id}/claims",
    status_code=201,
    summary="Refund or replace delivered units",
    responses={
        400: {"description": "Idempotency-Key missing or malformed JSON", **PROBLEM_RESPONSE},
        403: {"description": "Only ops and admin open claims", **PROBLEM_RESPONSE},
        404: {"description": "No such order", **PROBLEM_RESPONSE},
        409: {
            "description": "Units not delivered or already returned or claimed, more than "
            "can still be refunded, or no location holds the replacement",
            **PROBLEM_RESPONSE,
        },
        422: {
            "description": "Invalid claim, more units than can still be claimed, or the key "
            "was used with another body",
            **PROBLEM_RESPONSE,
        },
    },
)
async def open_claim(
    order_id: str,
    body: ClaimIn,
    caller: OpsCaller,
    services: ServicesDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ClaimOut:
    """A `refund` claim refunds the units' value at the order's prices (checked against
    what was captured less what is refunded); a `replace` claim holds the same units at
    one location that has them all and ships them as a new parcel of the order, at no
    charge. Claimed units count with returned ones: none is compensated twice."""
    if not idempotency_key:
        raise Problem(
            400,
            "/problems/idempotency-key-missing",
            "a claim needs an Idempotency-Key header (1 to 255 characters)",
        )
    opened = await services.claims.open(
        OpenClaim(
            order_id,
            caller,
            body.type,
            [Wanted(i.sku, i.quantity, i.reason, i.note) for i in body.items],
            idempotency_key,
            request_fingerprint(body.model_dump(mode="json")),
        )
    )
    if opened.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    else:
        CLAIMS.labels(body.type.value).inc()
    response.headers["Location"] = f"/v1/orders/{segment(order_id)}/claims"
    return ClaimOut.of(opened.claim)


@router.get(
    "/{order_id}/claims",
    summary="An order's claims",
    responses={404: {"description": "No such order (or not yours)", **PROBLEM_RESPONSE}},
)
async def list_claims(
    order_id: str, caller: CurrentCaller, services: ServicesDep
) -> list[ClaimOut]:
    """Oldest first; the order's owner sees them too."""
    return [ClaimOut.of(claim) for claim in await services.claims.of_order(caller, order_id)]
