"""/metrics is served on the API's metrics port only, never on the public one, and a
scrape asks the database nothing: the gauges read from elsewhere are refreshed on an
interval of their own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import Engine

from api.app import create_app
from db.engine import make_engine
from devstack.embedded import free_port
from infra.settings import Settings
from tests.api.conftest import Caller, order_body, wait_for_status
from tests.factories import add_product
from tests.polling import eventually
from tests.stack import Stack
from tests.statements import statements_on

FAMILIES = (
    "orders_http_requests_total",
    "orders_http_request_duration_seconds",
    "orders_reviews_pending",
    "orders_task_queue_backlog",
)


def value_of(metrics: str, name: str) -> float:
    """The value of an unlabelled sample in the Prometheus text format."""
    for line in metrics.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    raise AssertionError(f"no sample {name}")


@asynccontextmanager
async def with_metrics_port(
    settings: Settings, **changes: Any
) -> AsyncIterator[tuple[FastAPI, str]]:
    """An app of these settings with its lifespan running and its metrics port open; the
    app and the port's URL."""
    port = free_port()
    changes = {"api_metrics_port": port, "api_host": "127.0.0.1", **changes}
    app = create_app(settings.model_copy(update=changes))
    async with app.router.lifespan_context(app):
        yield app, f"http://127.0.0.1:{port}"


def counting_reviews_pending() -> AbstractContextManager[list[str]]:
    """Every statement of this process, on any engine, that counts orders by status (what
    orders_reviews_pending is read with), while the block runs."""
    return statements_on(
        Engine, lambda statement: "count(*)" in statement and "orders.status" in statement
    )


async def test_the_public_port_serves_no_metrics(http: httpx.AsyncClient) -> None:
    response = await http.get("/metrics")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/not-found"
    assert "orders_http_requests_total" not in response.text


async def test_the_api_process_serves_metrics_on_its_metrics_port_only(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        public = await http.get(f"{stack.api_url}/metrics")
        livez = await http.get(f"{stack.api_url}/livez")
        metrics = await http.get(f"{stack.api_metrics_url}/metrics")
        elsewhere = [
            (await http.get(f"{stack.api_metrics_url}{path}")).status_code
            for path in ("/livez", "/readyz", "/v1/orders", "/docs")
        ]

    assert (public.status_code, public.json()["type"]) == (404, "/problems/not-found")
    assert livez.status_code == 200  # probes stay on the public port
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    for family in FAMILIES:
        assert f"# TYPE {family} " in metrics.text, family
    assert elsewhere == [404, 404, 404, 404]


async def test_metrics_count_requests_by_route_template_not_path(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    await http.get("/v1/orders/ord_one")
    await http.get("/v1/orders/ord_two")

    async with with_metrics_port(settings) as (_, url), httpx.AsyncClient() as scraper:
        text = (await scraper.get(f"{url}/metrics")).text

    assert 'route="/v1/orders/{order_id}"' in text
    assert "ord_one" not in text and "ord_two" not in text
    assert "orders_http_request_duration_seconds_bucket" in text


async def test_every_operation_has_a_5xx_series_before_any_error(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    """The error-rate panel and alert read 0 from the start, not "no data"."""
    paths = (await http.get("/openapi.json")).json()["paths"]
    async with with_metrics_port(settings) as (_, url), httpx.AsyncClient() as scraper:
        metrics = (await scraper.get(f"{url}/metrics")).text

    for path, operations in paths.items():
        for method in operations:
            series = f'{{method="{method.upper()}",route="{path}",status_class="5xx"}}'
            assert f"orders_http_request_errors_total{series}" in metrics, (method, path)


async def test_a_scrape_asks_the_database_nothing(settings: Settings) -> None:
    async with with_metrics_port(settings, api_metrics_refresh=timedelta(hours=1)) as (app, url):
        gauges = app.state.gauges

        async def refreshed_once() -> bool:
            return bool(gauges.refreshed == 1)

        await eventually(refreshed_once)  # the refresh at start
        with counting_reviews_pending() as counted:
            async with httpx.AsyncClient() as scraper:
                answers = [(await scraper.get(f"{url}/metrics")).status_code for _ in range(5)]

    assert answers == [200] * 5
    assert counted == []
    assert gauges.refreshed == 1


async def test_the_gauges_follow_the_read_model_on_their_interval(
    http: httpx.AsyncClient, settings: Settings, customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, price=60_000, on_hand=5)  # above the review threshold
    placed = await http.post("/v1/orders", json=order_body((sku, 1)), headers=customer.placing())
    order_id = placed.json()["id"]
    await wait_for_status(http, customer, order_id, "awaiting_review")
    engine = make_engine(settings.database_url)

    async def awaiting_review() -> int:
        async with engine.connect() as connection:
            query = text("SELECT count(*) FROM orders WHERE status = 'awaiting_review'")
            return int((await connection.execute(query)).scalar_one())

    try:
        with counting_reviews_pending() as counted:
            async with with_metrics_port(settings, api_metrics_refresh=timedelta(seconds=0.2)) as (
                _,
                url,
            ):

                async def refreshed_without_a_scrape() -> bool:
                    return len(counted) >= 3

                await eventually(refreshed_without_a_scrape)

                async def the_gauge_says_what_the_read_model_holds() -> bool:
                    async with httpx.AsyncClient() as scraper:
                        metrics = (await scraper.get(f"{url}/metrics")).text
                    pending = await awaiting_review()
                    return pending >= 1 and value_of(metrics, "orders_reviews_pending") == pending

                await eventually(the_gauge_says_what_the_read_model_holds)
    finally:
        await http.post(f"/v1/orders/{order_id}/cancel", headers=customer.auth)
        await engine.dispose()
