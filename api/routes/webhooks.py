"""/v1/webhooks/carrier: tracking updates from the carrier, HMAC-signed."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Header, Request
from pydantic import ValidationError

from api.order_commands import forward_carrier_event
from api.problems import PROBLEM_RESPONSE, Problem
from api.resources import ResourcesDep
from api.schemas.orders import CarrierEventIn
from db.order_views import find_order_by_tracking
from workflows.contracts import CarrierEvent

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


def signature_of(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@router.post(
    "/carrier",
    status_code=202,
    summary="Receive a carrier tracking event",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": CarrierEventIn.model_json_schema()},
            },
        }
    },
    responses={
        401: {"description": "Missing or bad X-Signature", **PROBLEM_RESPONSE},
        404: {"description": "Unknown tracking number", **PROBLEM_RESPONSE},
        422: {"description": "Malformed event", **PROBLEM_RESPONSE},
    },
)
async def carrier_event(
    request: Request,
    resources: ResourcesDep,
    x_signature: Annotated[
        str | None,
        Header(description="`sha256=<hex HMAC-SHA256 of the raw body with the shared secret>`"),
    ] = None,
) -> dict[str, bool]:
    """Applies `in_transit`, `delivered` or `exception` to the order shipped under this
    tracking number. The same event twice is applied once."""
    raw = await request.body()
    settings = resources.settings
    secrets = [settings.webhook_secret, settings.webhook_previous_secret]
    if x_signature is None or not any(
        hmac.compare_digest(x_signature, signature_of(raw, secret)) for secret in secrets if secret
    ):
        raise Problem(401, "/problems/bad-signature", "X-Signature does not match the body")
    try:
        event = CarrierEventIn.model_validate_json(raw)
    except ValidationError as error:
        raise Problem(
            422,
            "/problems/validation",
            "the event is not valid",
            errors=[
                {"pointer": "/" + "/".join(str(p) for p in e["loc"]), "detail": e["msg"]}
                for e in error.errors()
            ],
        ) from error
    async with resources.unit_of_work() as uow:
        order = await find_order_by_tracking(uow.session, event.tracking_number)
    if order is None:
        raise Problem(404, "/problems/not-found", f"no shipment {event.tracking_number}")
    occurred_at = event.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    await forward_carrier_event(
        resources.temporal, order.id, CarrierEvent(event.event, occurred_at)
    )
    return {"accepted": True}
