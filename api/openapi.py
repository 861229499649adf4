"""The served OpenAPI document: every operation lists the problems it can answer with."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

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
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]
