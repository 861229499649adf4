"""Composition root of the worker process: builds what the workers, the outbox relay
and the ops endpoints need, then polls its task queues until SIGTERM or Ctrl-C.

Each of the three has a pool of its own: the steps' (sized from the slots it serves),
the relay's (its LISTEN connection and advisory lock must not wait behind steps), and
the ops endpoints' (readiness must answer while the steps' pool is busy). The steps
share one HTTP client per provider; the relay has its own email client.

Run: `orders-worker` (or `python -m worker`).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from typing import Any

import httpx
import uvicorn
import uvloop
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.attempts import CountRetries
from activities.housekeeping import HousekeepingActivities
from activities.notify import NotificationActivities
from activities.order_status import OrderStatusActivities
from activities.payment import PaymentActivities
from activities.shipping import ShippingActivities
from activities.stock import StockActivities
from db.engine import make_engine, make_session_factory
from db.order_reads import OrderReads
from db.unit_of_work import UnitOfWork
from infra import tracing
from infra.log_config import configure_logging
from infra.namespace_setup import ensure_schedules, ensure_search_attributes
from infra.settings import Settings, get_settings
from infra.temporal_client import connect_temporal
from infra.worker_ops_app import create_worker_app
from outbox.amqp import AmqpPublisher
from outbox.customer_email import CustomerEmails
from outbox.kafka import KafkaPublisher
from outbox.relay import OutboxRelay
from providers.carrier import CarrierClient
from providers.email import EmailClient
from providers.payment import PaymentClient
from workflows.housekeeping import PurgeIdempotencyKeysWorkflow
from workflows.order import OrderWorkflow
from workflows.steps import Handler, Queue, served_by_queue

log = logging.getLogger("orders.worker")

# Our own packages do nothing at import time but define things, so workflows share the
# worker's copy instead of importing and compiling them again for every new order.
# The sandbox still refuses clocks, randomness and I/O when workflow code runs.
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "domain", "workflows", "activities", "db", "outbox", "providers", "infra"
    )
)


@asynccontextmanager
async def activity_objects(settings: Settings) -> AsyncIterator[list[object]]:
    """Every activities class, bound to one engine and one HTTP client per provider."""
    async with AsyncExitStack() as stack:
        engine = activity_engine(settings)
        tracing.instrument_database()
        tracing.instrument_http_clients()
        stack.push_async_callback(engine.dispose)
        sessions = make_session_factory(engine)

        def uow() -> UnitOfWork:
            return UnitOfWork(sessions)

        def http(base_url: str) -> httpx.AsyncClient:
            timeout = settings.provider_timeout.total_seconds()
            return httpx.AsyncClient(base_url=base_url, timeout=timeout)

        payments = PaymentClient(await stack.enter_async_context(http(settings.payment_url)))
        carrier = CarrierClient(await stack.enter_async_context(http(settings.carrier_url)))
        email = EmailClient(await stack.enter_async_context(http(settings.email_url)))
        yield [
            StockActivities(uow),
            PaymentActivities(uow, payments),
            ShippingActivities(uow, carrier),
            OrderStatusActivities(uow),
            NotificationActivities(OrderReads(sessions), email),
            HousekeepingActivities(uow),
        ]


def activity_engine(settings: Settings) -> AsyncEngine:
    """The pool the worker's steps share, as large as the database steps it runs at
    once (`build_workers` gives it as many local-activity slots)."""
    return make_engine(
        settings.database_url,
        pre_ping=False,
        pool_size=settings.worker_database_connections,
        max_overflow=settings.worker_database_overflow,
        pool_timeout=settings.database_pool_timeout.total_seconds(),
    )


def build_workers(
    client: Client, settings: Settings, served: dict[Queue, list[Handler]]
) -> list[Worker]:
    """One worker for the workflows and database steps, one per provider queue, each
    serving the handlers the step table puts on its queue; only the queues named in
    `worker_queues`, so a deployment can scale each kind of work on its own."""
    common: dict[str, Any] = {
        "max_concurrent_activities": settings.max_concurrent_activities,
        "graceful_shutdown_timeout": settings.worker_shutdown_grace,
        "interceptors": [CountRetries()],
    }
    limits = settings.provider_rate_limits
    wanted = set(settings.worker_queues)
    workers = []
    if Queue.ORDERS in wanted:
        workers.append(
            Worker(
                client,
                task_queue=settings.task_queue,
                workflows=[OrderWorkflow, PurgeIdempotencyKeysWorkflow],
                workflow_runner=SANDBOX,
                activities=served[Queue.ORDERS],
                max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
                # Database steps run locally: no more at once than the pool has connections.
                max_concurrent_local_activities=settings.worker_database_connections,
                sticky_queue_schedule_to_start_timeout=settings.sticky_queue_timeout,
                **common,
            )
        )
    workers.extend(
        Worker(
            client,
            task_queue=settings.provider_task_queues[queue.value],
            activities=served[queue],
            # Caps the calls of all workers together: the provider's published limit.
            max_task_queue_activities_per_second=limits.get(queue.value),
            **common,
        )
        for queue in (Queue.PAYMENT, Queue.CARRIER, Queue.EMAIL)
        if queue in wanted
    )
    return workers


@asynccontextmanager
async def running_workers(client: Client, settings: Settings) -> AsyncIterator[list[Worker]]:
    """Every worker of this process, polling until the block ends."""
    async with activity_objects(settings) as objects, AsyncExitStack() as stack:
        workers = build_workers(client, settings, served_by_queue(objects))
        for worker in workers:
            await stack.enter_async_context(worker)
        yield workers


def event_publishers(settings: Settings) -> list[AmqpPublisher | KafkaPublisher]:
    """The brokers the settings name; order events go to each (docs/events.md)."""
    publishers: list[AmqpPublisher | KafkaPublisher] = []
    if settings.amqp_url:
        publishers.append(AmqpPublisher(settings.amqp_url, settings.events_source))
    if settings.kafka_bootstrap:
        publishers.append(
            KafkaPublisher(settings.kafka_bootstrap, settings.kafka_topic, settings.events_source)
        )
    return publishers


@asynccontextmanager
async def running_relay(settings: Settings) -> AsyncIterator[OutboxRelay | None]:
    """The outbox relay of this process, delivering (or standing by) until the block
    ends; None when the settings turn it off."""
    if not settings.outbox_relay:
        yield None
        return
    engine = make_engine(settings.database_url, pre_ping=False)
    sessions = make_session_factory(engine)
    timeout = settings.provider_timeout.total_seconds()
    async with httpx.AsyncClient(base_url=settings.email_url, timeout=timeout) as http:
        brokers = event_publishers(settings)
        emails = CustomerEmails(OrderReads(sessions), EmailClient(http))
        relay = OutboxRelay(engine, [emails, *brokers])
        stop = asyncio.Event()
        delivering = asyncio.create_task(relay.run(stop))
        try:
            yield relay
        finally:
            stop.set()
            await delivering
            for broker in brokers:
                await broker.close()
            await engine.dispose()


class _OpsServer(uvicorn.Server):
    """Serves /livez, /readyz and /metrics without taking over SIGINT and SIGTERM: the
    worker decides when to stop, after its running activities have finished."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def sdk_runtime(settings: Settings) -> Runtime:
    """A Temporal runtime that publishes the SDK's metrics (slots, latencies, polls)."""
    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(
                bind_address=settings.worker_sdk_metrics_address,
                counters_total_suffix=True,
                unit_suffix=True,
                durations_as_seconds=True,
            )
        )
    )


async def run(settings: Settings) -> None:
    client = await connect_temporal(settings, runtime=sdk_runtime(settings))
    await ensure_search_attributes(client)
    await ensure_schedules(client, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    engine = make_engine(settings.database_url)
    http = _OpsServer(
        uvicorn.Config(
            create_worker_app(settings, engine, client),
            host="0.0.0.0",
            port=settings.worker_http_port,
            log_level="warning",
        )
    )
    serving = asyncio.create_task(http.serve())
    async with running_workers(client, settings), running_relay(settings):
        log.info("worker polling %s", ", ".join(settings.worker_queues))
        await stop.wait()
        log.info("worker stopping: finishing running activities")
    http.should_exit = True
    await serving
    await engine.dispose()


def main() -> None:
    settings = get_settings()
    if settings.log_format == "json":
        configure_logging(settings.log_level)
    else:
        logging.basicConfig(level=settings.log_level)
    tracing.configure("order-worker")
    uvloop.run(run(settings))


if __name__ == "__main__":
    main()
