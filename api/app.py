"""The FastAPI application: resources made once in the lifespan, routes, problem handlers.

Run: `uvicorn --factory api.app:create_app`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from api.api_metrics import start_error_series_at_zero
from api.body_limit import BodyLimitMiddleware
from api.content_type import JsonOnlyMiddleware
from api.docs_pages import install_docs
from api.load_shedding import InFlight, InFlightMiddleware, LoadShedder
from api.metrics_server import metrics_endpoint
from api.openapi import install_openapi
from api.parameters import storable_parameters
from api.problems import install_problem_handlers
from api.rate_limit import RateLimiter, RateLimitHeadersMiddleware
from api.refusals import install_refusal_handlers
from api.request_telemetry import RequestTelemetryMiddleware
from api.resources import Resources
from api.routes import (
    claims,
    codec,
    inventory,
    locations,
    operations,
    order_timeline,
    orders,
    problem_pages,
    products,
    refunds,
    returns,
    users,
    webhooks,
)
from api.stream_slots import StreamSlots
from domain.users import Role, Tier
from infra import tracing
from infra.bootstrap import Bootstrap, unreachable_dependency
from infra.settings import Settings
from services.accounts import NewUser
from services.order_client import saga_policy
from services.wiring import Services

log = logging.getLogger("orders.api")

BOOTSTRAP_ADMIN_EMAIL = "admin@bootstrap.local"


def create_app(settings: Settings | None = None) -> FastAPI:
    boot = Bootstrap.start("order-api", settings)
    settings = boot.settings
    saga_policy(settings)  # refuses a bad ORDERS_ACTIVITY_POLICIES before serving anything
    in_flight = InFlight()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        temporal = await boot.temporal(lazy=True, give_up_after=settings.dependency_timeout)
        shedder = LoadShedder(temporal, settings, in_flight)
        services = await Services.build(boot, admit=shedder.admit)
        app.state.resources = Resources(
            settings=settings,
            services=services,
            rate_limiter=RateLimiter(boot.redis(), settings),
            stream_slots=StreamSlots(
                boot.redis(),
                most=settings.event_stream_max_per_caller,
                # A stream that misses two heartbeats gives its slot back.
                lapse_seconds=2 * settings.event_stream_heartbeat.total_seconds() + 5,
            ),
            shedder=shedder,
            probes=boot.probes(),
        )
        await _bootstrap_admin(services, settings)
        services.order_feed.start()
        try:
            async with metrics_endpoint(settings, services.orders, shedder) as gauges:
                app.state.gauges = gauges
                yield
        finally:
            await services.order_feed.stop()
            await boot.aclose()

    app = FastAPI(
        title="Order service",
        version="1.0.0",
        summary="Orders placed over HTTP, carried through a Temporal saga.",
        description=(
            "Reserve stock, review, authorize payment, ship, capture and track every order. "
            "Errors are RFC 9457 problem details (`application/problem+json`)."
        ),
        lifespan=lifespan,
        docs_url=None,  # served from local assets by install_docs
        redoc_url=None,
        # Each operation is named after its handler (place_order, get_order, ...): the
        # names a generated client gets.
        generate_unique_id_function=lambda route: route.name,
        dependencies=[Depends(storable_parameters)],
    )
    app.add_middleware(RateLimitHeadersMiddleware)
    app.add_middleware(InFlightMiddleware, in_flight=in_flight)
    app.add_middleware(RequestTelemetryMiddleware)
    app.add_middleware(JsonOnlyMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    install_problem_handlers(app)
    install_refusal_handlers(app)
    for module in (
        operations,
        users,
        products,
        inventory,
        locations,
        orders,
        order_timeline,
        refunds,
        returns,
        claims,
        webhooks,
        codec,
        problem_pages,
    ):
        app.include_router(module.router)
    app.include_router(returns.orders)
    install_openapi(app)
    install_docs(app)
    start_error_series_at_zero(app)
    tracing.instrument_api(app)
    return app


async def _bootstrap_admin(services: Services, settings: Settings) -> None:
    """ORDERS_BOOTSTRAP_ADMIN_KEY guarantees an admin holding that key, for first deploys."""
    if not settings.bootstrap_admin_key:
        return
    admin = NewUser(BOOTSTRAP_ADMIN_EMAIL, "Bootstrap admin", Role.ADMIN, Tier.STANDARD)
    try:
        await services.accounts.ensure_user_with_key(admin, settings.bootstrap_admin_key)
    except Exception as error:
        if unreachable_dependency(error) is None:
            raise
        log.error("database unreachable: the bootstrap admin key was not ensured")
