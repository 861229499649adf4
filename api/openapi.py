"""The served OpenAPI document: every operation lists the problems it can answer with."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

from api.problem_types import PROBLEM_TYPES
from api.problems import PROBLEM_JSON


class ProblemError(BaseModel):
    pointer: str | None = Field(None, description="JSON Pointer into the request body.")
    parameter: str | None = Field(None, description="The query, path or header parameter.")
    detail: str


class ProblemDocument(BaseModel):
    """RFC 9457 problem details, as the OpenAPI component `Problem`."""

    model_config = ConfigDict(title="Problem")

    type: str = Field(examples=["/problems/out-of-stock"])
    title: str = Field(examples=["Out of stock"])
    status: int = Field(examples=[409])
    detail: str | None = Field(None, examples=["not enough stock for MUG-BLUE"])
    instance: str = Field(examples=["/v1/orders"])
    errors: list[ProblemError] | None = Field(None, description="Validation problems.")
    skus: list[str] | None = Field(None, description="Out-of-stock problems: the short skus.")


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def install_openapi(app: FastAPI) -> None:
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = ProblemDocument.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components["ProblemError"] = ProblemError.model_json_schema()
        components["Problem"].pop("$defs", None)
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                if "422" in responses or operation.get("parameters") or "requestBody" in operation:
                    responses["422"] = _problem("Invalid request (`errors` points at each field)")
                if operation.get("security"):
                    responses.setdefault("401", _problem("Missing, unknown or revoked API key"))
                    responses.setdefault("403", _problem("The caller's role may not do this"))
                if "requestBody" in operation:
                    responses.setdefault("400", _problem("The body is not valid JSON"))
                if any(p["name"] == "cursor" for p in operation.get("parameters", [])):
                    responses.setdefault("400", _problem("The cursor is not one the API gave"))
                if method in ("post", "put", "patch"):
                    responses.setdefault("413", _problem("The body is too large"))
                    responses.setdefault("415", _problem("The body is not JSON"))
                if path != "/livez":
                    responses.setdefault("503", _problem("A dependency is unreachable"))
                if operation.get("security"):
                    responses.setdefault("429", _problem("Over the caller's rate limit"))
                _declare_headers(path, method, operation)
                _add_examples(path, method, responses)
        schema["components"]["headers"] = HEADERS
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]


def _header(description: str, schema: dict[str, Any], example: str | None = None) -> Any:
    declared: dict[str, Any] = {"description": description, "schema": schema}
    if example is not None:
        declared["example"] = example
    return declared


# Response headers of the contract, declared once and referenced where they are sent.
HEADERS: dict[str, Any] = {
    "RateLimit": _header(
        "What is left of the caller's quota (IETF RateLimit fields).",
        {"type": "string"},
        '"default";r=117;t=42',
    ),
    "RateLimit-Policy": _header(
        "The caller's quota and window in seconds.", {"type": "string"}, '"default";q=120;w=60'
    ),
    "Retry-After": _header("Seconds to wait before retrying.", {"type": "integer"}, "5"),
    "Location": _header("Where the new resource is.", {"type": "string"}, "/v1/orders/ord_1"),
    "Idempotent-Replayed": _header(
        "Present on the answer to a repeated Idempotency-Key: this is the first answer again.",
        {"type": "string", "enum": ["true"]},
    ),
    "WWW-Authenticate": _header("The scheme to authenticate with.", {"type": "string"}, "Bearer"),
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def _declare_headers(path: str, method: str, operation: dict[str, Any]) -> None:
    """Headers the API sends, where it sends them; the Idempotency-Key it requires."""
    for parameter in operation.get("parameters", []):
        if parameter["name"] == "Idempotency-Key":
            parameter["required"] = True
            parameter["schema"] = {"type": "string", "minLength": 1, "maxLength": 255}
            parameter["description"] = (
                "Names the order: the same key and body again answer the first answer; "
                "the same key with another body is 422."
            )
    for code, response in operation["responses"].items():
        headers = response.setdefault("headers", {})
        if operation.get("security") and code != "401":
            headers["RateLimit"] = _ref("RateLimit")
            headers["RateLimit-Policy"] = _ref("RateLimit-Policy")
        if code in ("429", "503"):
            headers["Retry-After"] = _ref("Retry-After")
        if code == "401":
            headers["WWW-Authenticate"] = _ref("WWW-Authenticate")
        if code == "201":
            headers["Location"] = _ref("Location")
        if (path, method) == ("/v1/orders", "post") and code in ("201", "409"):
            headers["Idempotent-Replayed"] = _ref("Idempotent-Replayed")
        if not headers:
            del response["headers"]


# The problem an operation most likely answers with, by status; some operations have
# their own.
_LIKELY = {
    "400": "malformed-json",
    "401": "unauthorized",
    "403": "forbidden",
    "404": "not-found",
    "409": "conflict",
    "413": "payload-too-large",
    "415": "unsupported-media-type",
    "422": "validation",
    "429": "rate-limited",
    "503": "dependency-unavailable",
}
_OWN = {
    ("/v1/orders", "post", "400"): "idempotency-key-missing",
    ("/v1/orders", "post", "409"): "out-of-stock",
    ("/v1/orders", "post", "503"): "overloaded",
    ("/v1/orders/{order_id}/cancel", "post", "409"): "not-cancellable",
    ("/v1/orders/{order_id}/review", "post", "409"): "not-awaiting-review",
    ("/v1/orders/{order_id}/edits", "post", "400"): "idempotency-key-missing",
    ("/v1/orders/{order_id}/edits", "post", "409"): "not-editable",
    ("/v1/orders/{order_id}/edits", "post", "503"): "edit-pending",
    ("/v1/orders/{order_id}/refunds", "post", "400"): "idempotency-key-missing",
    ("/v1/orders/{order_id}/refunds", "post", "409"): "refund-exceeds-captured",
    ("/v1/users", "post", "409"): "email-taken",
    ("/v1/products", "post", "409"): "sku-taken",
    ("/v1/inventory/{sku}", "put", "409"): "stock-conflict",
    ("/v1/webhooks/carrier", "post", "401"): "bad-signature",
}


def _add_examples(path: str, method: str, responses: dict[str, Any]) -> None:
    """One example per problem response: the problem that code stands for here."""
    for code, response in responses.items():
        content = response.get("content", {}).get(PROBLEM_JSON)
        name = _OWN.get((path, method, code)) or _LIKELY.get(code)
        if content is None or name is None:
            continue
        known = PROBLEM_TYPES[name]
        example: dict[str, Any] = {
            "type": f"/problems/{name}",
            "title": known.title,
            "status": known.status,
            "detail": known.meaning,
            "instance": path,
        }
        if name == "validation":
            example["errors"] = [{"pointer": "/items/0/quantity", "detail": "must be >= 1"}]
        if name == "out-of-stock":
            example["skus"] = ["MUG-BLUE"]
        content["example"] = example
