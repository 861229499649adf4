"""The served OpenAPI document against the contract (shared/API.md): its operations,
the headers it promises where they are sent, its problem types, and that each `type`
URI leads to a page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.problem_types import PROBLEM_TYPES
from tests.api.conftest import Caller, order_body

# The contract's operations, as (method, path).
CONTRACT_OPERATIONS = {
    ("post", "/v1/users"),
    ("get", "/v1/users/me"),
    ("get", "/v1/users/{user_id}"),
    ("get", "/v1/users"),
    ("post", "/v1/users/{user_id}/api-keys"),
    ("delete", "/v1/api-keys/{key_id}"),
    ("post", "/v1/products"),
    ("get", "/v1/products"),
    ("get", "/v1/products/{sku}"),
    ("patch", "/v1/products/{sku}"),
    ("get", "/v1/inventory/{sku}"),
    ("put", "/v1/inventory/{sku}"),
    ("post", "/v1/inventory/{sku}/adjustments"),
    ("post", "/v1/orders"),
    ("get", "/v1/orders/{order_id}"),
    ("get", "/v1/orders"),
    ("get", "/v1/orders/{order_id}/events"),
    ("get", "/v1/orders/{order_id}/events/stream"),
    ("post", "/v1/orders/{order_id}/cancel"),
    ("post", "/v1/orders/{order_id}/review"),
    ("post", "/v1/webhooks/carrier"),
}
# The problem types the contract names.
CONTRACT_PROBLEMS = {
    "/problems/validation",
    "/problems/rate-limited",
    "/problems/overloaded",
    "/problems/out-of-stock",
    "/problems/idempotency-key-reused",
    "/problems/not-cancellable",
}
ORDER_STATUSES = {
    "pending",
    "reserved",
    "awaiting_review",
    "authorized",
    "shipped",
    "delivered",
    "cancelled",
    "failed",
}
API_SOURCES = Path(__file__).resolve().parents[2] / "api"
REFUSALS_SOURCE = Path(__file__).resolve().parents[2] / "services" / "refusals.py"


@pytest.fixture(scope="module")
async def spec(http: httpx.AsyncClient) -> dict[str, Any]:
    served: dict[str, Any] = (await http.get("/openapi.json")).json()
    return served


def operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    }


def headers_of(response: dict[str, Any]) -> set[str]:
    return set(response.get("headers", {}))


def test_every_operation_of_the_contract_is_served_with_a_named_id(spec: dict[str, Any]) -> None:
    served = operations(spec)

    assert CONTRACT_OPERATIONS <= set(served), CONTRACT_OPERATIONS - set(served)
    for (method, path), operation in served.items():
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", operation["operationId"]), (method, path)
    assert served[("post", "/v1/orders")]["operationId"] == "place_order"
    assert served[("get", "/v1/orders/{order_id}")]["operationId"] == "get_order"


def test_every_header_of_the_contract_is_declared_where_it_is_sent(spec: dict[str, Any]) -> None:
    served = operations(spec)
    place = served[("post", "/v1/orders")]
    key = next(p for p in place["parameters"] if p["name"] == "Idempotency-Key")

    assert key["required"] is True and key["schema"]["maxLength"] == 255
    assert {"Location", "Idempotent-Replayed"} <= headers_of(place["responses"]["201"])
    for (method, path), operation in served.items():
        responses = operation["responses"]
        if not operation.get("security"):
            continue
        assert "429" in responses and "503" in responses, (method, path)
        assert "Retry-After" in headers_of(responses["429"]), (method, path)
        assert "Retry-After" in headers_of(responses["503"]), (method, path)
        assert "WWW-Authenticate" in headers_of(responses["401"]), (method, path)
        for code, response in responses.items():
            if code != "401":
                assert {"RateLimit", "RateLimit-Policy"} <= headers_of(response), (path, code)


def test_order_status_and_failure_reason_are_enums(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]

    assert set(schemas["OrderStatus"]["enum"]) == ORDER_STATUSES
    assert {"out_of_stock", "payment_declined", "review_timed_out"} <= set(
        schemas["FailureReason"]["enum"]
    )


def test_each_problem_response_of_placing_shows_its_own_example(spec: dict[str, Any]) -> None:
    responses = operations(spec)[("post", "/v1/orders")]["responses"]
    examples = {
        code: response["content"]["application/problem+json"]["example"]["type"]
        for code, response in responses.items()
        if "application/problem+json" in response.get("content", {})
    }

    assert examples["409"] == "/problems/out-of-stock"
    assert examples["422"] == "/problems/validation"
    assert examples["429"] == "/problems/rate-limited"
    assert examples["503"] == "/problems/overloaded"
    assert len(set(examples.values())) == len(examples)


def test_every_problem_type_the_api_raises_has_a_page_and_one_title() -> None:
    raised = {
        name
        # The API's own problems, and the refusals of the use cases.
        for source in [*API_SOURCES.rglob("*.py"), REFUSALS_SOURCE]
        for name in re.findall(r'"/problems/([a-z][a-z-]*[a-z])"', source.read_text())
    }

    assert {p.removeprefix("/problems/") for p in CONTRACT_PROBLEMS} <= raised
    assert raised <= set(PROBLEM_TYPES), raised - set(PROBLEM_TYPES)


async def test_a_problem_type_uri_answers_with_its_page(http: httpx.AsyncClient) -> None:
    for name, known in PROBLEM_TYPES.items():
        page = await http.get(f"/problems/{name}")
        assert page.status_code == 200, name
        assert known.title in page.text
    assert (await http.get("/problems/no-such-problem")).status_code == 404


async def test_validation_problems_have_one_title_wherever_they_are_raised(
    http: httpx.AsyncClient, customer: Caller
) -> None:
    by_the_framework = await http.get("/v1/orders?limit=0", headers=customer.auth)
    by_a_refusal = await http.post(
        "/v1/orders", json=order_body(("NO-SUCH-SKU", 1)), headers=customer.placing()
    )

    assert by_the_framework.status_code == by_a_refusal.status_code == 422
    for answer in (by_the_framework, by_a_refusal):
        assert answer.json()["type"] == "/problems/validation"
        assert answer.json()["title"] == "Unprocessable Content"


async def test_a_method_the_path_does_not_serve_lists_every_method_it_does(
    http: httpx.AsyncClient,
) -> None:
    response = await http.delete("/v1/orders")

    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"
    assert response.json()["type"] == "/problems/method-not-allowed"
