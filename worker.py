"""Composition root of the worker process: builds what the workers, the outbox relay
and the ops endpoints need, then polls its task queues until SIGTERM or Ctrl-C.

Each of the three has a pool of its own: the steps' (sized from the slots it serves),
the relay's (its LISTEN connection and advisory lock must not wait behind steps), and
the ops endpoints' (readiness must answer while the steps' pool is busy). Steps and
the relay share one HTTP client per provider. infra/bootstrap.py makes each of these
once and closes them when the worker stops.

Run: `orders-worker` (or `python -m worker`).
"""

from __future__ import annotations

import asyncio
import compileall
import functools
import hashlib
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
import uvloop
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client
from temporalio.common import WorkerDeploymentVersion
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError
from temporalio.worker import Worker, WorkerDeploymentConfig
from temporalio.worker.workflow_sandbox import SandboxRestrictions

import domain
import workflows
from activities.attempts import CountRetries
from activities.claims import ClaimActivities
from activities.edits import OrderEditActivities
from activities.exchanges import ExchangeActivities
from activities.housekeeping import HousekeepingActivities
from activities.notify import NotificationActivities
from activities.order_status import OrderStatusActivities
from activities.payment import PaymentActivities
from activities.refunds import RefundActivities
from activities.returns import ReturnActivities
from activities.shipping import ShippingActivities
from activities.stock import StockActivities
from activities.throttle import ProviderThrottle, ThrottleProviderCalls
from db.order_reads import OrderReads
from infra.bootstrap import Bootstrap
from infra.namespace_setup import ensure_schedules, ensure_search_attributes
from infra.ops_server import OpsServer
from infra.settings import Settings, settings_or_exit
from infra.worker_ops_app import create_worker_app
from infra.workflow_sandbox import WorkflowSandbox
from outbox.amqp import AmqpPublisher
from outbox.customer_email import CustomerEmails
from outbox.kafka import KafkaPublisher
from outbox.relay import OutboxRelay
from workflows.claims import ClaimWorkflow
from workflows.housekeeping import PurgeIdempotencyKeysWorkflow
from workflows.order import OrderWorkflow, versions
from workflows.refund import RefundWorkflow
from workflows.returns import ReturnWorkflow
from workflows.steps import Handler, Queue, provider_steps, served_by_queue

log = logging.getLogger("orders.worker")

# Only pure modules (no I/O, no clock, no randomness: the import-linter contracts hold
# them to it) are shared with the worker instead of imported again for every workflow.
# The workflow code itself (workflows/order, steps, housekeeping) is imported inside
# the sandbox, so its clock, randomness and I/O are refused when it runs; a module
# shared with the worker would get the real `datetime`, `time` and `random`. The
# activities a workflow names come in through `imports_passed_through()`: they are
# referred to there, never run.
PURE_MODULES = ("domain", "workflows.contracts", "workflows.step_row")
SANDBOX = WorkflowSandbox(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(*PURE_MODULES)
)


def compile_workflow_modules() -> None:
    """Writes the workflow modules' bytecode where it is missing or stale. The sandbox
    imports them afresh for every workflow instance, and without bytecode on disk each
    of those imports compiles the source again: about 20 ms of worker CPU per new
    order where PYTHONDONTWRITEBYTECODE is set (docs/performance.md). The image has
    it (pip compiles what it installs); a checkout gets it here, once. Where the files
    are read-only nothing is written and nothing fails."""
    compileall.compile_dir(Path(workflows.__file__).parent, quiet=2)


@functools.cache
def deployment() -> WorkerDeploymentConfig:
    """The saga this worker runs, declared in its build id with a digest of the code
    the workflows run (workflows/order/versions.py). Temporal records it with each
    workflow task the worker completes, which is how a run knows its saga version
    without a patch marker. Not a versioned deployment: any worker takes any task."""
    code = hashlib.sha256()
    for package in (Path(workflows.__file__).parent, Path(domain.__file__).parent):
        for source in sorted(package.rglob("*.py")):
            code.update(source.read_bytes())
    build = versions.build_id(code.hexdigest()[:12])
    return WorkerDeploymentConfig(
        version=WorkerDeploymentVersion(versions.DEPLOYMENT_NAME, build),
        use_worker_versioning=False,
    )


async def declared_deployment(client: Client) -> WorkerDeploymentConfig | None:
    """`deployment()` where the server records each workflow task's build id (every
    server since build-id versioning, 1.21); None where it does not (the SDK's
    time-skipping test server), so that the saga's version is recorded by a patch
    marker there: a version read back from a history without it would differ."""
    for attempt in range(1, 6):
        try:
            info = await client.workflow_service.get_system_info(GetSystemInfoRequest(), retry=True)
            break
        except RPCError:  # a busy server may drop the call: asked again, then given up
            if attempt == 5:
                raise
            await asyncio.sleep(attempt)
    return deployment() if info.capabilities.build_id_based_versioning else None


def activity_objects(boot: Bootstrap) -> list[object]:
    """Every activities class, over the steps' pool and one HTTP client per provider."""
    steps_engine(boot)
    uow = boot.unit_of_work_factory("steps")
    reads = boot.autocommit_unit_factory("steps")
    return [
        StockActivities(uow, boot.settings.allocation_strategy),
        OrderEditActivities(uow, boot.settings.allocation_strategy),
        PaymentActivities(uow, boot.payments(), reads),
        RefundActivities(uow, boot.payments()),
        ShippingActivities(uow, boot.carrier(), reads),
        ReturnActivities(uow, boot.carrier()),
        ClaimActivities(uow, boot.carrier()),
        ExchangeActivities(uow, boot.payments(), boot.carrier()),
        OrderStatusActivities(uow),
        NotificationActivities(OrderReads(boot.autocommit_engine("steps")), boot.email()),
        HousekeepingActivities(uow),
    ]


def steps_engine(boot: Bootstrap) -> AsyncEngine:
    """The pool the worker's steps share, as large as the database steps it runs at
    once (`build_workers` gives it as many local-activity slots)."""
    settings = boot.settings
    return boot.engine(
        "steps",
        ping_idle_after=None,
        pool_size=settings.worker_database_connections,
        max_overflow=settings.worker_database_overflow,
        pool_timeout=settings.database_pool_timeout.total_seconds(),
    )


def build_workers(
    client: Client,
    settings: Settings,
    served: dict[Queue, list[Handler]],
    declared: WorkerDeploymentConfig | None,
    throttle: ProviderThrottle,
) -> list[Worker]:
    """One worker per task queue this process polls, serving every handler the step
    table puts on that queue: the workflows' queue (with the workflows, when "orders"
    is among `worker_queues`) and each provider queue of its own. A provider without a
    queue of its own shares the workflows' queue, so the worker that runs a workflow
    also takes its provider calls, handed over eagerly with its workflow tasks.
    `declared`: the build id the workers declare (`declared_deployment`); `throttle`:
    the providers' rate limits, which every provider step waits its turn under."""
    common: dict[str, Any] = {
        "max_concurrent_activities": settings.max_concurrent_activities,
        "graceful_shutdown_timeout": settings.worker_shutdown_grace,
        "interceptors": [CountRetries(), ThrottleProviderCalls(throttle, provider_steps())],
        **({"deployment_config": declared} if declared else {}),
    }
    queue_of = {Queue.ORDERS: settings.task_queue} | {
        Queue(provider): name for provider, name in settings.provider_task_queues.items()
    }
    polled = dict.fromkeys(queue_of[Queue(kind)] for kind in settings.worker_queues)
    workers = []
    for name in polled:
        kinds = [kind for kind in Queue if queue_of[kind] == name]
        handlers = [handler for kind in kinds for handler in served[kind]]
        if name == settings.task_queue and Queue.ORDERS in settings.worker_queues:
            workers.append(
                Worker(
                    client,
                    task_queue=name,
                    workflows=[
                        OrderWorkflow,
                        RefundWorkflow,
                        ReturnWorkflow,
                        ClaimWorkflow,
                        PurgeIdempotencyKeysWorkflow,
                    ],
                    workflow_runner=SANDBOX,
                    activities=handlers,
                    max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
                    # Database steps run locally: no more at once than the pool has
                    # connections.
                    max_concurrent_local_activities=settings.worker_database_connections,
                    sticky_queue_schedule_to_start_timeout=settings.sticky_queue_timeout,
                    **common,
                )
            )
            continue
        # A queue of one provider's own is capped by the server too, for all workers
        # together: its backlog then waits there rather than in this worker's slots.
        # (A cap on a queue would also turn off eager dispatch, so the workflows'
        # queue has none.)
        own = len(kinds) == 1 and kinds[0] is not Queue.ORDERS
        cap = settings.provider_rate_limits.get(kinds[0].value) if own else None
        workers.append(
            Worker(
                client,
                task_queue=name,
                activities=handlers,
                max_task_queue_activities_per_second=cap,
                **common,
            )
        )
    return workers


def provider_throttle(boot: Bootstrap) -> ProviderThrottle:
    """The providers' rate limits: a bucket per provider in Redis for every worker of
    this deployment (named by its workflows' queue)."""
    settings = boot.settings
    return ProviderThrottle(
        boot.redis(), settings.provider_rate_limits, f"provider-turns:{settings.task_queue}"
    )


@asynccontextmanager
async def running_workers(client: Client, boot: Bootstrap) -> AsyncIterator[list[Worker]]:
    """Every worker of this process, polling until the block ends."""
    async with AsyncExitStack() as stack:
        served = served_by_queue(activity_objects(boot))
        declared = await declared_deployment(client)
        workers = build_workers(client, boot.settings, served, declared, provider_throttle(boot))
        for worker in workers:
            await stack.enter_async_context(worker)
        yield workers


def event_publishers(settings: Settings) -> dict[str, AmqpPublisher | KafkaPublisher]:
    """The brokers the settings name, by sink name; order events go to each
    (docs/events.md)."""
    publishers: dict[str, AmqpPublisher | KafkaPublisher] = {}
    if settings.amqp_url:
        publishers["amqp"] = AmqpPublisher(settings.amqp_url, settings.events_source)
    if settings.kafka_bootstrap:
        publishers["kafka"] = KafkaPublisher(
            settings.kafka_bootstrap, settings.kafka_topic, settings.events_source
        )
    return publishers


@asynccontextmanager
async def running_relay(boot: Bootstrap) -> AsyncIterator[OutboxRelay | None]:
    """The outbox relay of this process, delivering (or standing by) until the block
    ends; None when the settings turn it off. Its pool is its own: its LISTEN
    connection and advisory lock must not wait behind the steps."""
    settings = boot.settings
    if not settings.outbox_relay:
        yield None
        return
    engine = boot.engine("relay", ping_idle_after=None)
    brokers = event_publishers(settings)
    emails = CustomerEmails(OrderReads(boot.autocommit_engine("relay")), boot.email())
    relay = OutboxRelay(
        engine,
        {"email": emails, **brokers},
        round_seconds=settings.outbox_round_interval.total_seconds(),
        max_attempts=settings.outbox_max_attempts,
    )
    stop = asyncio.Event()
    delivering = asyncio.create_task(relay.run(stop))
    try:
        yield relay
    finally:
        stop.set()
        await delivering
        for broker in brokers.values():
            await broker.close()


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


async def run(boot: Bootstrap) -> None:
    settings = boot.settings
    compile_workflow_modules()
    client = await boot.temporal(runtime=sdk_runtime(settings))
    await ensure_search_attributes(client)
    await ensure_schedules(client, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # /livez, /readyz and /metrics, on a pool of their own (readiness must answer while
    # the steps' pool is busy); the worker decides when they stop, after its running
    # activities have finished.
    http = OpsServer(
        uvicorn.Config(
            create_worker_app(settings, boot.engine("ops"), client),
            host="0.0.0.0",
            port=settings.worker_http_port,
            log_level="warning",
        )
    )
    serving = asyncio.create_task(http.serve())
    try:
        async with running_workers(client, boot), running_relay(boot):
            log.info("worker polling %s", ", ".join(settings.worker_queues))
            await stop.wait()
            log.info("worker stopping: finishing running activities")
        http.should_exit = True
        await serving
    finally:
        await boot.aclose()


def main() -> None:
    boot = Bootstrap.start("order-worker", settings_or_exit("orders-worker"))
    if boot.settings.log_format != "json":
        logging.basicConfig(level=boot.settings.log_level)
    uvloop.run(run(boot))


if __name__ == "__main__":
    main()
