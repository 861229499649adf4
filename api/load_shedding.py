"""Load shedding of order creation: refuse new work early, low tiers first, rather
than let every request slow down together.

Two signals: requests in flight in this process (a gauge kept by a middleware) and
the order task queue's backlog as Temporal reports it (cached for a second, so a
burst of requests costs one describe call). Reads and cancels are never shed.
"""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from api.api_metrics import IN_FLIGHT, SHED_REQUESTS, TASK_QUEUE_BACKLOG
from api.problems import Problem
from domain.users import Tier
from infra.settings import Settings

log = logging.getLogger("orders.api.load_shedding")

BACKLOG_CACHE_SECONDS = 1.0


class InFlight:
    """How many requests this process is serving right now."""

    def __init__(self) -> None:
        self.count = 0


class InFlightMiddleware:
    def __init__(self, app: ASGIApp, in_flight: InFlight) -> None:
        self.app = app
        self.in_flight = in_flight

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A live event stream stays open for as long as its order runs: it is not load.
        if scope["type"] != "http" or scope["path"].endswith("/events/stream"):
            await self.app(scope, receive, send)
            return
        self.in_flight.count += 1
        IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight.count -= 1
            IN_FLIGHT.dec()


class LoadShedder:
    def __init__(self, client: Client, settings: Settings, in_flight: InFlight) -> None:
        self._client = client
        self._settings = settings
        self._in_flight = in_flight
        self._backlog = 0
        self._backlog_read_at = float("-inf")
        self._lock = asyncio.Lock()
        self._shedding: set[str] = set()

    async def admit(self, tier: Tier) -> None:
        """Raises 503 /problems/overloaded when orders of this tier are being shed."""
        in_flight_bound = self._settings.shed_in_flight.get(tier.value, 10**9)
        backlog_bound = self._settings.shed_backlog.get(tier.value, 10**9)
        overloaded = self._in_flight.count > in_flight_bound
        if not overloaded:
            overloaded = await self.backlog() > backlog_bound
        self._note_transition(tier.value, overloaded)
        if overloaded:
            SHED_REQUESTS.labels(tier=tier.value).inc()
            retry_after = str(self._settings.shed_retry_after)
            raise Problem(
                503,
                "/problems/overloaded",
                "the service is shedding load; retry later with the same Idempotency-Key",
                title="Service Unavailable",
                headers={"Retry-After": retry_after},
            )

    async def backlog(self) -> int:
        """Workflow tasks waiting in the order task queue (0 if Temporal will not say)."""
        async with self._lock:
            if time.monotonic() - self._backlog_read_at < BACKLOG_CACHE_SECONDS:
                return self._backlog
            try:
                response = await self._client.workflow_service.describe_task_queue(
                    DescribeTaskQueueRequest(
                        namespace=self._client.namespace,
                        task_queue=TaskQueue(name=self._settings.task_queue),
                        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
                        report_stats=True,
                    ),
                    timeout=self._settings.dependency_timeout,
                )
                self._backlog = response.stats.approximate_backlog_count
                TASK_QUEUE_BACKLOG.set(self._backlog)
            except Exception as error:  # a blind probe must not refuse orders by itself
                log.warning("task queue backlog unknown: %s", error)
                self._backlog = 0
            self._backlog_read_at = time.monotonic()
            return self._backlog

    def _note_transition(self, tier: str, overloaded: bool) -> None:
        if overloaded and tier not in self._shedding:
            self._shedding.add(tier)
            log.warning(
                "shedding %s orders: %d in flight, backlog %d",
                tier,
                self._in_flight.count,
                self._backlog,
            )
        elif not overloaded and tier in self._shedding:
            self._shedding.discard(tier)
            log.warning("no longer shedding %s orders", tier)
