"""What the benchmark measures with: percentiles, CPU seconds of processes, the
Temporal SDK's histograms, and workflow histories."""

from __future__ import annotations

import asyncio
import math
import re
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from devstack.processes import ProcessStack
from infra.namespace_setup import ensure_search_attributes


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def cpu_seconds(pid: int, with_children: bool = False) -> float:
    """User and system CPU of a process, with its children's (live and reaped) when
    asked: PostgreSQL works in the backends its postmaster forks."""
    try:
        process = psutil.Process(pid)
        times = process.cpu_times()
        total = times.user + times.system
        if with_children:
            total += times.children_user + times.children_system
            for child in process.children(recursive=True):
                try:
                    child_times = child.cpu_times()
                    total += child_times.user + child_times.system
                except psutil.NoSuchProcess:
                    pass
        return total
    except psutil.NoSuchProcess:
        return 0.0


@dataclass(frozen=True)
class ProcessGroup:
    name: str
    pids: tuple[int, ...]
    with_children: bool = False

    def cpu(self) -> float:
        return sum(cpu_seconds(pid, self.with_children) for pid in self.pids)


def cpu_snapshot(groups: Iterable[ProcessGroup]) -> dict[str, float]:
    return {group.name: group.cpu() for group in groups}


def cpu_spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before.get(name, 0.0) for name in after}


_BUCKET = re.compile(r"^(?P<name>\w+)_bucket\{(?P<labels>[^}]*)\} (?P<value>[0-9.e+-]+)$")


def histogram_buckets(metrics_text: str, name: str, label: str = "") -> dict[float, float]:
    """Cumulative counts per upper bound of one histogram, summed over its series
    (only those whose labels contain `label`)."""
    buckets: dict[float, float] = {}
    for line in metrics_text.splitlines():
        match = _BUCKET.match(line)
        if not match or match["name"] != name or label not in match["labels"]:
            continue
        bound = re.search(r'le="([^"]+)"', match["labels"])
        if bound is None:
            continue
        upper = math.inf if bound[1] == "+Inf" else float(bound[1])
        buckets[upper] = buckets.get(upper, 0.0) + float(match["value"])
    return buckets


def counter_total(metrics_text: str, name: str, label: str = "") -> float:
    """The sum of one counter's series in a /metrics page (0 when it is absent), only
    those whose labels contain `label`."""
    total = 0.0
    for line in metrics_text.splitlines():
        if line.startswith(name) and line[len(name) : len(name) + 1] in (" ", "{"):
            if label in line.rsplit(" ", 1)[0]:
                total += float(line.rsplit(" ", 1)[1])
    return total


def histogram_percentile(
    before: dict[float, float], after: dict[float, float], fraction: float
) -> float:
    """The upper bound of the bucket holding the percentile of what was observed
    between the two readings (NaN when nothing was)."""
    delta = sorted((bound, after[bound] - before.get(bound, 0.0)) for bound in after)
    if not delta or delta[-1][1] <= 0:
        return math.nan
    wanted = fraction * delta[-1][1]
    for bound, count in delta:
        if count >= wanted:
            return bound
    return math.inf


@dataclass(frozen=True)
class HistoryShape:
    events: int
    workflow_tasks: int
    workflow_task_timeouts: int
    workflow_task_waits: tuple[float, ...]  # scheduled → started, seconds
    signals: int = 0


async def history_shape(client: Client, workflow_id: str) -> HistoryShape:
    scheduled: dict[int, float] = {}
    waits: list[float] = []
    events = tasks = timeouts = signals = 0
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        events += 1
        at = event.event_time.ToDatetime().timestamp()
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
            scheduled[event.event_id] = at
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            attributes = event.workflow_task_started_event_attributes
            if attributes.scheduled_event_id in scheduled:
                waits.append(at - scheduled[attributes.scheduled_event_id])
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            tasks += 1
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
            timeouts += 1
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            signals += 1
    return HistoryShape(events, tasks, timeouts, tuple(waits), signals)


async def history_shapes(
    client: Client, workflow_ids: Sequence[str], concurrency: int = 16
) -> list[HistoryShape]:
    gate = asyncio.Semaphore(concurrency)

    async def one(workflow_id: str) -> HistoryShape:
        async with gate:
            return await history_shape(client, workflow_id)

    return list(await asyncio.gather(*(one(w) for w in workflow_ids)))


@dataclass
class Phase:
    name: str
    orders: int = 0
    seconds: float = 0.0  # from the first request to the last order finished
    accept: list[float] = field(default_factory=list)
    to_shipped: list[float] = field(default_factory=list)
    to_delivered: list[float] = field(default_factory=list)
    not_delivered: int = 0
    refused: int = 0
    retried: int = 0
    history_events: float = math.nan
    workflow_tasks: float = math.nan
    signals: float = math.nan  # carrier news that woke the workflow
    workflow_task_timeouts: int = 0
    workflow_task_wait_p99: float = math.nan  # from the histories
    sdk_schedule_to_start_p99: float = math.nan  # from the worker's SDK metrics
    # From a timeline entry's commit to its delivery by the outbox relay (email, and
    # the broker when ORDERS_AMQP_URL is set); bucket bounds, so upper bounds.
    outbox_lag_p50: float = math.nan
    outbox_lag_p99: float = math.nan
    cpu: dict[str, float] = field(default_factory=dict)  # seconds per order
    # SQL statements the API and the workers sent per order (their own counter).
    statements: float = math.nan
    # Workflow tasks per order that found no cached instance (the SDK's own counter).
    cache_misses: float = math.nan
    shipments: float = math.nan  # parcels per order
    # Activity heartbeats the workers sent to the server per order (the SDK's counter).
    heartbeats: float = math.nan

    @property
    def per_second(self) -> float:
        return self.orders / self.seconds if self.seconds else math.nan

    def summary(self) -> dict[str, Any]:
        return {
            "orders": self.orders,
            "orders_per_second": self.per_second,
            "accept_p50": percentile(self.accept, 0.5),
            "accept_p95": percentile(self.accept, 0.95),
            "accept_p99": percentile(self.accept, 0.99),
            "to_shipped_p50": percentile(self.to_shipped, 0.5),
            "to_shipped_p99": percentile(self.to_shipped, 0.99),
            "to_delivered_p50": percentile(self.to_delivered, 0.5),
            "to_delivered_p99": percentile(self.to_delivered, 0.99),
            "not_delivered": self.not_delivered,
            "refused": self.refused,
            "retried": self.retried,
            "history_events": self.history_events,
            "workflow_tasks": self.workflow_tasks,
            "signals": self.signals,
            "workflow_task_timeouts": self.workflow_task_timeouts,
            "workflow_task_wait_p99": self.workflow_task_wait_p99,
            "sdk_schedule_to_start_p99": self.sdk_schedule_to_start_p99,
            "outbox_lag_p50": self.outbox_lag_p50,
            "outbox_lag_p99": self.outbox_lag_p99,
            "cpu_seconds_per_order": self.cpu,
            "sql_statements": self.statements,
            "cache_misses": self.cache_misses,
            "shipments": self.shipments,
            "heartbeats": self.heartbeats,
        }


def per_order(spent: dict[str, float], orders: int) -> dict[str, float]:
    return {name: seconds / orders for name, seconds in spent.items() if seconds > 0}


async def on_a_dev_server(
    prefix: str, measure: Callable[[Client, ProcessGroup], Awaitable[None]]
) -> None:
    """Runs `measure` against a Temporal dev server of its own, configured as the
    stack's and with its search attributes; `measure` reads the server's CPU from the
    process group it is given."""
    stack = ProcessStack(Path(tempfile.mkdtemp(prefix=prefix)))
    await asyncio.to_thread(stack.start_temporal)
    try:
        client = await Client.connect(f"127.0.0.1:{stack.ports['temporal']}")
        temporal = ProcessGroup("temporal", (stack.processes["temporal"].pid,))
        await ensure_search_attributes(client)
        await measure(client, temporal)
    finally:
        await asyncio.to_thread(stack.stop)
