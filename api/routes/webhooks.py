"""/v1/webhooks/carrier: tracking updates from the carrier, HMAC-signed.

A carrier that sends `X-Signature-Timestamp` signs `<timestamp>.<raw body>`, and a
request whose timestamp is outside the replay window is refused, so a captured
request cannot be replayed later. Within the window a repeat is harmless: the same
event twice is applied once. The older form, the body alone, is still accepted
unless `ORDERS_WEBHOOK_REQUIRE_TIMESTAMP` is set.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from typing import Annotated

from fastapi import APIRouter, Header, Request
from pydantic import ValidationError

from api.problems import PROBLEM_RESPONSE, Problem
from api.resources import ResourcesDep
from api.schemas.webhooks import CarrierEventIn
from domain.order import CarrierEvent
from services.carrier_events import CarrierReport

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


def signature_of(body: bytes, secret: str, timestamp: str | None = None) -> str:
    signed = body if timestamp is None else timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


_UNIX_TIME = re.compile(r"[0-9]{1,15}")


def _bad_signature(detail: str) -> Problem:
    return Problem(401, "/problems/bad-signature", detail)


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
        401: {
            "description": "Missing or bad X-Signature, or a timestamp outside the window",
            **PROBLEM_RESPONSE,
        },
        404: {"description": "Unknown tracking number", **PROBLEM_RESPONSE},
        422: {"description": "Malformed event", **PROBLEM_RESPONSE},
    },
)
async def receive_carrier_event(
    request: Request,
    resources: ResourcesDep,
    x_signature: Annotated[
        str | None,
        Header(
            description="`sha256=<hex HMAC-SHA256 with the shared secret>` of the raw body, "
            "or of `<X-Signature-Timestamp>.<raw body>` when a timestamp is sent"
        ),
    ] = None,
    x_signature_timestamp: Annotated[
        str | None,
        Header(description="Unix seconds when the carrier signed; must be within the window"),
    ] = None,
) -> dict[str, bool]:
    """Applies `in_transit`, `delivered` or `exception` to the order shipped under this
    tracking number. The same event twice is applied once."""
    raw = await request.body()
    settings = resources.settings
    if x_signature_timestamp is None:
        if settings.webhook_require_timestamp:
            raise _bad_signature("X-Signature-Timestamp is required")
    else:
        # ASCII digits only, and few enough for a float: int() would also take other
        # scripts' digits, "1_0" or 4000 digits, the last overflowing the window check.
        if not _UNIX_TIME.fullmatch(x_signature_timestamp):
            raise _bad_signature("X-Signature-Timestamp is not a Unix time")
        signed_at = int(x_signature_timestamp)
        if abs(time.time() - signed_at) > settings.webhook_tolerance.total_seconds():
            raise _bad_signature("X-Signature-Timestamp is outside the replay window")
    secrets = [settings.webhook_secret, settings.webhook_previous_secret]
    # Compared as bytes: compare_digest refuses str holding anything but ASCII, and a
    # header holds whatever bytes the sender put there.
    given = (x_signature or "").encode("utf-8", "surrogatepass")
    if x_signature is None or not any(
        hmac.compare_digest(given, signature_of(raw, secret, x_signature_timestamp).encode())
        for secret in secrets
        if secret
    ):
        raise _bad_signature("X-Signature does not match the body")
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
    await resources.services.carrier_events.accept(
        CarrierReport(
            tracking_number=event.tracking_number,
            event=CarrierEvent(event.event),
            occurred_at=event.occurred_at,
            reference=event.reference,
        )
    )
    return {"accepted": True}
