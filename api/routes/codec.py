"""The codec endpoint: Temporal's remote-codec protocol, so the Temporal UI and CLI can
show operators the decrypted payloads of an order's workflow.

The UI calls it from the browser (`--ui-codec-endpoint http://api/codec`): it sends
`POST /codec/decode` with the JSON form of `temporal.api.common.v1.Payloads` and the
namespace in `X-Namespace`, after a CORS preflight. Only ops and admin keys may decode,
unless `ORDERS_CODEC_OPEN` (development only) lets the local UI in without one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from api.auth import bearer, current_caller
from api.problems import PROBLEM_RESPONSE, Problem
from api.resources import Resources, ResourcesDep, get_resources
from domain.users import Role
from infra.temporal_client import data_converter

router = APIRouter(prefix="/codec", tags=["operations"])

# The JSON form of temporal.api.common.v1.Payloads, as the UI and CLI send it.
_PAYLOADS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "payloads": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "metadata": {
                        "type": "object",
                        "additionalProperties": {"type": "string", "contentEncoding": "base64"},
                    },
                    "data": {"type": "string", "contentEncoding": "base64"},
                },
            },
        }
    },
}
_CODEC_OPERATION: dict[str, Any] = {
    "response_class": Response,
    "openapi_extra": {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _PAYLOADS_SCHEMA}},
        }
    },
    "responses": {
        200: {
            "description": "The payloads",
            "content": {"application/json": {"schema": _PAYLOADS_SCHEMA}},
        },
        400: {"description": "Not a JSON Payloads message", **PROBLEM_RESPONSE},
        401: {"description": "No valid API key", **PROBLEM_RESPONSE},
        403: {"description": "Only ops and admin decode", **PROBLEM_RESPONSE},
        422: {"description": "A payload no key can decrypt", **PROBLEM_RESPONSE},
    },
}

_PREFLIGHT_HEADERS = "content-type, x-namespace, authorization"


def _cors(request: Request, resources: Resources) -> dict[str, str]:
    origin = request.headers.get("origin")
    if origin is None or origin not in resources.settings.codec_cors_origins:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Vary": "Origin",
    }


async def _may_decode(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    resources: Annotated[Resources, Depends(get_resources)],
) -> None:
    if resources.settings.codec_open:
        return
    caller = await current_caller(request, credentials, resources)
    if caller.role not in (Role.OPS, Role.ADMIN):
        raise Problem(403, "/problems/forbidden", "only ops and admin may decode payloads")


@router.options("/{operation}", include_in_schema=False)
async def preflight(operation: str, request: Request, resources: ResourcesDep) -> Response:
    headers = _cors(request, resources)
    if headers:
        headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        headers["Access-Control-Allow-Headers"] = _PREFLIGHT_HEADERS
        headers["Access-Control-Max-Age"] = "600"
    return Response(status_code=204, headers=headers)


@router.post(
    "/decode",
    summary="Decrypt Temporal payloads (remote codec)",
    dependencies=[Depends(_may_decode)],
    **_CODEC_OPERATION,
)
async def decode_payloads(request: Request, resources: ResourcesDep) -> Response:
    """Decrypts `{"payloads": [...]}` for the Temporal UI and `temporal --codec-endpoint`."""
    return await _convert(request, resources, decode=True)


@router.post(
    "/encode",
    summary="Encrypt Temporal payloads (remote codec)",
    dependencies=[Depends(_may_decode)],
    **_CODEC_OPERATION,
)
async def encode_payloads(request: Request, resources: ResourcesDep) -> Response:
    """Encrypts payloads as the service does, e.g. for `temporal workflow signal` input."""
    return await _convert(request, resources, decode=False)


async def _convert(request: Request, resources: Resources, *, decode: bool) -> Response:
    codec = data_converter(resources.settings).payload_codec
    assert codec is not None
    try:
        payloads = json_format.Parse(await request.body(), Payloads()).payloads
    except (json_format.ParseError, ValueError, RecursionError) as error:
        raise Problem(
            400, "/problems/malformed-json", "the body is not a JSON Payloads message"
        ) from error
    try:
        converted = await (codec.decode(payloads) if decode else codec.encode(payloads))
    except Exception as error:
        raise Problem(
            422, "/problems/validation", "a payload could not be decrypted with any key"
        ) from error
    body = json_format.MessageToJson(Payloads(payloads=converted))
    return Response(body, media_type="application/json", headers=_cors(request, resources))
