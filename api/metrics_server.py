"""The API process's /metrics, on a port of its own (`ORDERS_API_METRICS_PORT`), kept
off the public port: Prometheus scrapes it inside the network, while the load balancer
and its clients reach the API port only (docs/operations.md).

The gauges read from elsewhere (orders awaiting review from the read model, the order
task queue's backlog from Temporal) are refreshed every `ORDERS_API_METRICS_REFRESH`,
whether or not anything scrapes: a scrape costs the database and Temporal nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.api_metrics import REVIEWS_PENDING
from api.load_shedding import LoadShedder
from domain.order import OrderStatus
from infra.bootstrap import unreachable_dependency
from infra.ops_server import serving
from infra.settings import Settings
from services.orders import Orders

log = logging.getLogger("orders.api.metrics")


def create_metrics_app() -> FastAPI:
    """Only /metrics: what this process's registry holds, read as it is."""
    app = FastAPI(title="Order API metrics", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app


class GaugeRefresh:
    """Sets the gauges read from other systems, now and then every `interval`."""

    def __init__(self, orders: Orders, shedder: LoadShedder, interval: timedelta) -> None:
        self._orders = orders
        self._shedder = shedder
        self._interval = interval.total_seconds()
        self.refreshed = 0  # how many refreshes have finished, for tests and logs

    async def refresh(self) -> None:
        try:
            pending = await self._orders.count_in_status(OrderStatus.AWAITING_REVIEW)
            REVIEWS_PENDING.set(pending)
        except Exception as error:
            # The gauge keeps its last value; /readyz reports the database.
            if unreachable_dependency(error) is None:
                log.exception("orders awaiting review could not be counted")
        await self._shedder.backlog()  # sets orders_task_queue_backlog; never raises
        self.refreshed += 1

    async def run(self) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(self._interval)


@asynccontextmanager
async def metrics_endpoint(
    settings: Settings, orders: Orders, shedder: LoadShedder
) -> AsyncIterator[GaugeRefresh]:
    """The gauges refreshed and, when a port is set, /metrics served, until the block
    ends (the API's lifespan)."""
    gauges = GaugeRefresh(orders, shedder, settings.api_metrics_refresh)
    async with AsyncExitStack() as stack:
        if settings.api_metrics_port is not None:
            await stack.enter_async_context(
                serving(
                    create_metrics_app(),
                    settings.api_host,
                    settings.api_metrics_port,
                    "ORDERS_API_METRICS_PORT",
                )
            )
        refreshing = asyncio.create_task(gauges.run())
        try:
            yield gauges
        finally:
            refreshing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refreshing
