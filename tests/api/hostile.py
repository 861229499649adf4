"""Every route the app serves, and requests that put values built to break parsers,
encoders, databases and header codecs into each place a route reads from the outside.

The routes come from the app itself (its router and its OpenAPI document), so a route
added later is covered without touching the tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

PROBLEM = "application/problem+json"

TEXT: dict[str, str] = {
    "astral": "\U0001f600",
    "rtl mark": "ord\u202e_1",
    "nul": "a\x00b",
    "outside latin-1": "山田",
    "long": "x" * 10_001,
    "long astral": "\U0001f600" * 2_600,
    "digits past any integer": "9" * 5_000,
}
# In a URL: the text percent-encoded as UTF-8, and bytes no UTF-8 decoder accepts.
ENCODED: dict[str, str] = {
    **{name: quote(text, safe="") for name, text in TEXT.items()},
    "not utf-8": "%ff%fe",
    "lone surrogate": "%ed%a0%80",
    "overlong nul": "%c0%80",
    "a stray percent": "100%",
}
# In a header: raw bytes, as a client on the wire may send them.
RAW: dict[str, bytes] = {
    **{name: text.encode("utf-8") for name, text in TEXT.items()},
    "not utf-8": b"\xff\xfe",
    "lone surrogate": b"\xed\xa0\x80",
    "latin-1": b"caf\xe9",
}
# Read by routes, middleware or dependencies without being declared parameters.
IMPLICIT_HEADERS = (
    "Authorization",
    "Idempotency-Key",
    "Last-Event-ID",
    "X-Signature",
    "X-Signature-Timestamp",
    "X-Namespace",
    "Origin",
    "Content-Type",
    "X-Request-ID",
)


@dataclass(frozen=True)
class Operation:
    method: str
    template: str  # "/v1/orders/{order_id}"
    params: tuple[tuple[str, str], ...]  # ("path" | "query" | "header", name)
    body: bytes | None

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


def operations(app: FastAPI) -> list[Operation]:
    """Every method of every route the app routes to, schema or not (docs, problem
    pages, CORS preflights, static assets)."""
    document = app.openapi()
    found: list[Operation] = []
    for route in iter_route_contexts(app.routes):
        template = route.path_format
        if template is None:
            continue
        methods = set(route.methods or {"GET"})  # a mount answers any method
        if "GET" in methods:
            methods.discard("HEAD")  # answered by the GET handler
        path_params = [("path", name) for name in route.param_convertors]
        for method in sorted(methods):
            declared = document["paths"].get(template, {}).get(method.lower())
            params = list(path_params)
            body = None
            if declared is not None:
                declared_params = declared.get("parameters", [])
                params += [(p["in"], p["name"]) for p in declared_params if p["in"] != "path"]
                body = _sample_body(declared, document)
            found.append(Operation(method, template, tuple(params), body))
    return found


def hostile_requests(
    http: httpx.AsyncClient,
    operation: Operation,
    known: dict[str, str],
    auth: dict[str, str],
    *,
    implicit: bool = True,
) -> Iterator[tuple[str, httpx.Request]]:
    """One request per place and hostile value; everything else as a good client sends.
    `implicit`: the undeclared headers too, not only the route's own parameters."""
    headers: dict[str, str | bytes] = {**auth}
    if operation.body is not None:
        headers["Content-Type"] = "application/json"
    fill = {name: quote(known.get(name, "x"), safe="") for _, name in operation.params}

    def build(
        label: str, path: dict[str, str], query: str = "", extra: dict[str, bytes] | None = None
    ) -> tuple[str, httpx.Request]:
        url = operation.template.format(**path) + (f"?{query}" if query else "")
        request = http.build_request(
            operation.method, url, headers={**headers, **(extra or {})}, content=operation.body
        )
        return f"{operation} {label}", request

    for where, name in operation.params:
        for value_name, encoded in ENCODED.items():
            label = f"{where} {name}={value_name}"
            if where == "path":
                yield build(label, {**fill, name: encoded})
            elif where == "query":
                yield build(label, fill, f"{quote(name)}={encoded}")
        if where == "header":
            for value_name, raw in RAW.items():
                yield build(f"header {name}={value_name}", fill, extra={name: raw})
    if not implicit:
        return
    declared = {name.lower() for where, name in operation.params if where == "header"}
    for name in IMPLICIT_HEADERS:
        if name.lower() in declared:
            continue  # done above
        if name == "Authorization" and auth:
            continue  # a hostile one replaces the caller's key: sent once, without one
        values = dict(RAW)
        if name == "Authorization":
            values.update({f"bearer {key}": b"Bearer " + raw for key, raw in RAW.items()})
        for value_name, raw in values.items():
            yield build(f"implicit header {name}={value_name}", fill, extra={name: raw})


def misjudged(label: str, response: httpx.Response) -> str | None:
    """What is wrong with the answer: a server error, or a client error that is not
    an RFC 9457 problem document of its own status."""
    status = response.status_code
    said = f"{label}: {status} {response.headers.get('content-type')} {response.text[:300]!r}"
    if status >= 500:
        return said
    if status < 400:
        return None
    if response.headers.get("content-type") != PROBLEM:
        return said
    body = response.json()
    if not isinstance(body, dict) or body.get("status") != status:
        return said
    if not all(isinstance(body.get(member), str) for member in ("type", "title", "instance")):
        return said
    return None


def _sample_body(operation: dict[str, Any], document: dict[str, Any]) -> bytes | None:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    return json.dumps(_sample(content["schema"], document)).encode()


def _sample(schema: dict[str, Any], document: dict[str, Any]) -> Any:
    """A value the schema accepts, from its examples and constraints: enough for a
    request to get past validation and into the route."""
    if schema.get("examples"):
        return schema["examples"][0]
    if "default" in schema:
        return schema["default"]
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _sample(document["components"]["schemas"][name], document)
    if schema.get("enum"):
        return schema["enum"][0]
    for combined in ("anyOf", "oneOf", "allOf"):
        if schema.get(combined):
            return _sample(schema[combined][0], document)
    kind = schema.get("type")
    if kind == "object":
        required = schema.get("required", [])
        properties = schema.get("properties", {})
        return {name: _sample(properties[name], document) for name in required}
    if kind == "array":
        return [_sample(schema.get("items", {}), document)] * max(1, schema.get("minItems", 1))
    if kind == "string":
        if schema.get("format") == "date-time":
            return "2026-01-01T00:00:00Z"
        return "x" * max(1, schema.get("minLength", 1))
    if kind in ("integer", "number"):
        return max(1, int(schema.get("minimum", 1)))
    if kind == "boolean":
        return True
    return None
