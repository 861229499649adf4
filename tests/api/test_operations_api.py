"""Health, unknown routes, and clear 503s when a dependency is down."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.app import create_app
from api.routes.operations import READINESS_CACHE_SECONDS
from infra.settings import Settings
from tests.api.conftest import Caller, api_client, order_body
from tests.factories import add_product
from tests.stack import Stack

CLOSED_PORT = "127.0.0.1:9"  # discard: nothing listens there


async def test_livez_touches_nothing(http: httpx.AsyncClient) -> None:
    response = await http.get("/livez")
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("redis", ["embedded", "system"])
async def test_readyz_is_ok_when_every_dependency_answers(
    stack: Stack, settings: Settings, redis: str
) -> None:
    redis_url = stack.redis_url if redis == "embedded" else stack.system_redis_url
    if redis_url is None:
        redis_url = stack.redis_url  # no system Redis on this machine: the embedded one again
    async with api_client(settings.model_copy(update={"redis_url": redis_url})) as http:
        response = await http.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok", "temporal": "ok"}


@pytest.mark.parametrize(
    ("setting", "value", "failing"),
    [
        ("temporal_address", CLOSED_PORT, "temporal"),
        ("redis_url", f"redis://{CLOSED_PORT}/0", "redis"),
        ("database_url", f"postgresql+asyncpg://postgres@{CLOSED_PORT}/orders", "database"),
    ],
)
async def test_readyz_names_the_dependency_that_is_down(
    settings: Settings, setting: str, value: str, failing: str
) -> None:
    async with api_client(settings.model_copy(update={setting: value})) as http:
        response = await http.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["checks"][failing].startswith("failed")
    assert failing in body["detail"]
    assert [name for name, result in body["checks"].items() if result != "ok"] == [failing]


async def test_placing_an_order_while_temporal_is_down_is_503(
    settings: Settings, session_uow: Any, customer: Caller
) -> None:
    sku = await add_product(session_uow)
    down = settings.model_copy(update={"temporal_address": CLOSED_PORT})
    async with api_client(down) as http:
        response = await http.post(
            "/v1/orders", json=order_body((sku, 1)), headers=customer.placing()
        )

    assert response.status_code == 503, response.text
    assert response.json()["type"] == "/problems/dependency-unavailable"
    assert response.json()["dependency"] == "temporal"
    assert "Retry-After" in response.headers


async def test_any_call_while_the_database_is_down_is_503(
    settings: Settings, customer: Caller
) -> None:
    down = settings.model_copy(
        update={"database_url": f"postgresql+asyncpg://postgres@{CLOSED_PORT}/orders"}
    )
    async with api_client(down) as http:
        response = await http.get("/v1/orders/ord_x", headers=customer.auth)

    assert response.status_code == 503
    assert response.json()["dependency"] == "database"


async def test_unknown_routes_and_methods_are_problems(http: httpx.AsyncClient) -> None:
    missing = await http.get("/v1/nothing-here")
    wrong_method = await http.delete("/livez")

    assert (missing.status_code, wrong_method.status_code) == (404, 405)
    assert missing.headers["content-type"] == "application/problem+json"
    assert wrong_method.json()["type"] == "/problems/method-not-allowed"


async def test_the_openapi_schema_documents_every_operation(http: httpx.AsyncClient) -> None:
    schema = (await http.get("/openapi.json")).json()

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary") and operation.get("description"), where
            problems = [
                status
                for status, response in operation["responses"].items()
                if status >= "400" and "application/problem+json" in response.get("content", {})
            ]
            assert problems or path == "/livez", where

    place = schema["paths"]["/v1/orders"]["post"]
    assert place["summary"] == "Place an order"
    assert {"201", "400", "409", "422", "503"} <= set(place["responses"])
    assert "HTTPBearer" in schema["components"]["securitySchemes"]


async def test_a_body_that_is_not_json_is_415(http: httpx.AsyncClient, customer: Caller) -> None:
    response = await http.post(
        "/v1/orders",
        content=b"items=1",
        headers={**customer.placing(), "Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 415
    assert response.json()["type"] == "/problems/unsupported-media-type"


async def test_a_streamed_body_past_the_limit_is_413(
    http: httpx.AsyncClient, customer: Caller
) -> None:
    async def chunks() -> Any:
        for _ in range(100):
            yield b" " * 1024  # 100 KiB of whitespace, no Content-Length

    response = await http.post(
        "/v1/orders",
        content=chunks(),
        headers={**customer.placing(), "Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert response.json()["type"] == "/problems/payload-too-large"


async def test_text_postgresql_cannot_store_is_422_not_a_server_error(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow)
    body = order_body((sku, 1))
    body["shipping_address"] = {**body["shipping_address"], "name": "Ada\u0000"}

    response = await http.post("/v1/orders", json=body, headers=customer.placing())

    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/shipping_address/name"


async def test_a_request_id_is_echoed_or_made(http: httpx.AsyncClient) -> None:
    given = await http.get("/livez", headers={"X-Request-ID": "req-123"})
    made = await http.get("/livez")
    odd = await http.get("/livez", headers={"X-Request-ID": "no spaces allowed"})

    assert given.headers["X-Request-ID"] == "req-123"
    assert len(made.headers["X-Request-ID"]) == 32
    assert odd.headers["X-Request-ID"] != "no spaces allowed"


async def test_readiness_is_reused_for_a_second(settings: Settings) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://orders.test") as http:
            readiness = app.state.resources.readiness
            await http.get("/readyz")
            first = readiness.checked_at
            await http.get("/readyz")
            second = readiness.checked_at
            readiness.checked_at -= READINESS_CACHE_SECONDS  # the answer has aged out
            await http.get("/readyz")
            third = readiness.checked_at

    assert first == second < third
