"""The worker process's own HTTP endpoints, for orchestrators and Prometheus.

/metrics joins this process's metrics (business, provider calls) with the Temporal
SDK's runtime metrics, which the SDK serves on a loopback address of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

from infra.settings import Settings


def create_worker_app(settings: Settings, engine: AsyncEngine, client: Client) -> FastAPI:
    timeout = settings.dependency_timeout.total_seconds()
    # One client for every scrape: building one costs ~20 ms of CPU (its TLS context),
    # more than the scrape itself.
    sdk_metrics = httpx.AsyncClient(timeout=timeout)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await sdk_metrics.aclose()

    app = FastAPI(
        title="Order worker", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )

    @app.get("/livez")
    async def livez() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        async def database() -> None:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))

        async def temporal() -> None:
            await client.workflow_service.get_system_info(GetSystemInfoRequest())

        checks = {}
        for name, probe in (("database", database), ("temporal", temporal)):
            try:
                await asyncio.wait_for(probe(), timeout)
                checks[name] = "ok"
            except Exception as error:  # any failure means not ready; the name says which
                checks[name] = f"failed: {type(error).__name__}"
        ready = all(result == "ok" for result in checks.values())
        return JSONResponse(
            {"status": "ok" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
        )

    @app.get("/metrics")
    async def metrics() -> Response:
        own = generate_latest().decode()
        try:
            address = settings.worker_sdk_metrics_address
            sdk = (await sdk_metrics.get(f"http://{address}/metrics")).text
        except httpx.HTTPError:
            sdk = "# Temporal SDK metrics unavailable\n"
        return Response(own + sdk, media_type=CONTENT_TYPE_LATEST)

    return app
