"""The FastAPI application: resources made once in the lifespan, routes, problem handlers.

Run: `uvicorn --factory api.app:create_app`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.exc import SQLAlchemyError

from api.api_metrics import start_error_series_at_zero
from api.body_limit import BodyLimitMiddleware
from api.content_type import JsonOnlyMiddleware
from api.docs_pages import install_docs
from api.load_shedding import InFlight, InFlightMiddleware, LoadShedder
from api.openapi import install_openapi
from api.problems import install_problem_handlers
from api.rate_limit import RateLimiter, RateLimitHeadersMiddleware
from api.refusals import install_refusal_handlers
from api.request_telemetry import RequestTelemetryMiddleware
from api.resources import Resources
from api.routes import (
    codec,
    inventory,
    operations,
    orders,
    problem_pages,
    products,
    users,
    webhooks,
)
from db.engine import make_engine, make_session_factory
from db.order_reads import OrderReads
from db.unit_of_work import UnitOfWork
from domain.users import Role, Tier
from infra import tracing
from infra.log_config import configure_logging
from infra.settings import Settings, get_settings
from infra.temporal_client import connect_temporal
from services.accounts import ensure_user_with_key
from services.order_client import saga_policy
from services.placing import OrderPlacing

log = logging.getLogger("orders.api")

BOOTSTRAP_ADMIN_EMAIL = "admin@bootstrap.local"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    if settings.log_format == "json":
        configure_logging(settings.log_level)
    tracing.configure("order-api")
    saga_policy(settings)  # refuses a bad ORDERS_ACTIVITY_POLICIES before serving anything
    in_flight = InFlight()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        timeout = settings.dependency_timeout.total_seconds()
        engine = make_engine(settings.database_url, connect_timeout=timeout)
        tracing.instrument_database()
        redis = Redis.from_url(
            settings.redis_url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        temporal = await connect_temporal(
            settings, lazy=True, give_up_after=settings.dependency_timeout
        )
        sessions = make_session_factory(engine)
        shedder = LoadShedder(temporal, settings, in_flight)
        order_reads = OrderReads(sessions)
        resources = Resources(
            settings=settings,
            engine=engine,
            sessions=sessions,
            temporal=temporal,
            redis=redis,
            rate_limiter=RateLimiter(redis, settings),
            shedder=shedder,
            order_reads=order_reads,
            placing=OrderPlacing(
                settings,
                unit_of_work=lambda: UnitOfWork(sessions),
                reads=order_reads,
                temporal=temporal,
                admit=shedder.admit,
            ),
        )
        app.state.resources = resources
        await _bootstrap_admin(resources)
        try:
            yield
        finally:
            await redis.aclose()
            await engine.dispose()

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
    )
    app.add_middleware(RateLimitHeadersMiddleware)
    app.add_middleware(InFlightMiddleware, in_flight=in_flight)
    app.add_middleware(RequestTelemetryMiddleware)
    app.add_middleware(JsonOnlyMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    install_problem_handlers(app)
    install_refusal_handlers(app)
    for module in (operations, users, products, inventory, orders, webhooks, codec, problem_pages):
        app.include_router(module.router)
    install_openapi(app)
    install_docs(app)
    start_error_series_at_zero(app)
    tracing.instrument_api(app)
    return app


async def _bootstrap_admin(resources: Resources) -> None:
    """ORDERS_BOOTSTRAP_ADMIN_KEY guarantees an admin holding that key, for first deploys."""
    secret = resources.settings.bootstrap_admin_key
    if not secret:
        return
    try:
        async with resources.unit_of_work() as uow:
            await ensure_user_with_key(
                uow,
                email=BOOTSTRAP_ADMIN_EMAIL,
                name="Bootstrap admin",
                role=Role.ADMIN,
                tier=Tier.STANDARD,
                secret=secret,
                pepper=resources.settings.api_key_pepper,
            )
            await uow.commit()
    except (OSError, SQLAlchemyError):
        log.error("database unreachable: the bootstrap admin key was not ensured")
