"""The fast tier: OrderWorkflow on Temporal's time-skipping test server, in the worker's
sandbox, with stub activities served under the real names on the real queues of the
step table.

Timers and retry backoff are skipped, so a 24 h review timeout or an hour of retries
runs in a moment. What the saga did is read from the calls the stubs recorded.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateStage,
)
from temporalio.exceptions import ApplicationError
from temporalio.runtime import (
    LoggingConfig,
    MetricBuffer,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from domain.commands import (
    LineRequest,
    PaymentAuthorized,
    PlannedShipment,
    ShipmentCreated,
    ShipmentTracking,
    StockReservation,
    TrackingEvent,
)
from domain.errors import DomainError
from domain.order import Address
from infra.namespace_setup import search_attribute_types
from worker import SANDBOX, declared_deployment
from workflows.claims import ClaimWorkflow
from workflows.contracts import (
    CarrierUpdate,
    OrderView,
    OrderWorkflowInput,
    ReviewDecision,
    SagaPolicy,
)
from workflows.order import OrderWorkflow
from workflows.refund import RefundWorkflow
from workflows.returns import ReturnWorkflow
from workflows.steps import STEPS, Queue, resolve_steps

# Bounds as production has them, so the skipped time is real time in the order's life.
POLICY = SagaPolicy(
    review_threshold=50_000,
    review_timeout_seconds=timedelta(hours=24).total_seconds(),
    payment_bound_seconds=timedelta(minutes=30).total_seconds(),
    shipping_bound_seconds=timedelta(hours=1).total_seconds(),
    capture_bound_seconds=timedelta(hours=2).total_seconds(),
    compensation_bound_seconds=timedelta(hours=6).total_seconds(),
    steps=resolve_steps({}),
    tracking_poll_seconds=timedelta(minutes=5).total_seconds(),
)

# What each step answers when it works.
ANSWERS: dict[str, Any] = {
    "reserve_stock": StockReservation(
        reserved=True, total=2_000, shipments=[PlannedShipment(1, "default", 2_000, 1)]
    ),
    "authorize_payment": PaymentAuthorized("auth_stub"),
    "create_shipment": ShipmentCreated("shp_1", "stub", "TRK1"),
    "track_shipment": ShipmentTracking([TrackingEvent("delivered", "2026-01-01T00:00:00Z")]),
}


def refuses(error: type[DomainError]) -> Callable[[Any], Any]:
    """A business refusal: non-retryable, named like the activity would name it."""

    def answer(_: Any) -> Any:
        raise ApplicationError(f"stub: {error.__name__}", type=error.__name__, non_retryable=True)

    return answer


def keeps_failing(_: Any) -> Any:
    """An outage that lasts: retried with backoff until the step's bound."""
    raise RuntimeError("stub: the provider is down")


@dataclass
class Call:
    step: str
    command: Any
    attempt: int


@dataclass
class Stubs:
    """Stand-ins for every step, each answering from `behaviour` or ANSWERS."""

    behaviour: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)

    def steps_run(self) -> list[str]:
        """Each step once, in the order it was first tried."""
        seen: list[str] = []
        for call in self.calls:
            if call.step not in seen:
                seen.append(call.step)
        return seen

    def attempts(self, step: str) -> int:
        return sum(1 for call in self.calls if call.step == step)

    def command_of(self, step: str) -> Any:
        return next(call.command for call in self.calls if call.step == step)

    def milestones_emailed(self) -> list[str]:
        return [c.command["milestone"] for c in self.calls if c.step == "send_notification"]

    def handler(self, step: str) -> Callable[..., Any]:
        @activity.defn(name=step)
        async def stub(command: Any) -> Any:
            self.calls.append(Call(step, command, activity.info().attempt))
            behave = self.behaviour.get(step)
            return behave(command) if behave else ANSWERS.get(step)

        return stub


@asynccontextmanager
async def time_skipping_server(
    metrics: MetricBuffer | None = None,
) -> AsyncIterator[WorkflowEnvironment]:
    server = Path(sys.executable).parent / "temporal-test-server"
    # The test server lacks capabilities the SDK warns about on every worker; only
    # errors are worth printing here.
    quiet = Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR")),
            metrics=metrics,
        )
    )
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(server), runtime=quiet
    )
    # The test server cannot list search attributes, only add them.
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace, search_attributes=search_attribute_types()
        )
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    async with time_skipping_server() as env:
        yield env


@dataclass
class Saga:
    env: WorkflowEnvironment
    stubs: Stubs
    task_queue: str
    policy: SagaPolicy

    @property
    def client(self) -> Client:
        return self.env.client

    def order(self, total: int = 2_000, **policy: Any) -> OrderWorkflowInput:
        order_id = f"ord_{uuid.uuid4().hex[:12]}"
        return OrderWorkflowInput(
            order_id=order_id,
            customer_id="usr_stub",
            customer_tier="standard",
            lines=[LineRequest("SKU-1", 2)],
            shipping_address=Address("Ada", "1 Lane", "London", "N1", "GB"),
            payment_token="tok_ok",
            currency="USD",
            idempotency_key=order_id,
            fingerprint="f" * 64,
            policy=replace(self.policy, **policy),
        )

    async def start(self, order: OrderWorkflowInput) -> WorkflowHandle[OrderWorkflow, OrderView]:
        return await self.client.start_workflow(
            OrderWorkflow.run, order, id=f"order-{order.order_id}", task_queue=self.task_queue
        )

    async def run(self, order: OrderWorkflowInput) -> OrderView:
        """The order's outcome. Skipped time makes hours take moments; the real-time
        deadline only turns a run that stopped moving into a failure, not a hang."""
        return await self.result_of(await self.start(order))

    async def result_of(self, handle: WorkflowHandle[Any, OrderView]) -> OrderView:
        """Waits for the order's outcome on skipped time (across continued runs)."""
        try:
            return await asyncio.wait_for(handle.result(), timeout=120)
        except TimeoutError:
            pending = (await handle.describe()).raw_description.pending_activities
            stuck = [
                (
                    p.activity_type.name,
                    p.attempt,
                    f"scheduled {p.scheduled_time.ToJsonString()}",
                    f"expires {p.expiration_time.ToJsonString()}",
                    f"next {p.next_attempt_schedule_time.ToJsonString()}",
                    p.last_failure.message,
                )
                for p in pending
            ]
            raise AssertionError(
                f"{handle.id} did not finish by {await self.env.get_current_time()} on the "
                f"server's clock; pending: {stuck}"
            ) from None

    async def describe(self, order: OrderWorkflowInput) -> WorkflowExecutionDescription:
        return await self.client.get_workflow_handle(f"order-{order.order_id}").describe()

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 60) -> None:
        """Real time, for things the workers do while time is not being skipped."""
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.05)

    async def approve_when_open(self, handle: WorkflowHandle[Any, OrderView]) -> None:
        """Sends the ops approval as soon as the order takes one (without waiting for it
        to be recorded, which may take skipped time). Not before the hold is asked for:
        sent earlier, the approval raced the workflow's first task, and once, on a busy
        CI machine, was lost and the order timed out in review."""
        await self.wait_until(lambda: any(c.step == "request_review" for c in self.stubs.calls))
        async with asyncio.timeout(60):
            while True:
                try:
                    await handle.start_update(
                        "review",
                        ReviewDecision(True, "usr_ops"),
                        wait_for_stage=WorkflowUpdateStage.ACCEPTED,
                    )
                    return
                except WorkflowUpdateFailedError:
                    await asyncio.sleep(0.05)

    @staticmethod
    def event(name: str) -> CarrierUpdate:
        return CarrierUpdate(name, "2026-02-01T00:00:00Z")

    async def _events(self, order: OrderWorkflowInput, run_id: str | None = None) -> list[Any]:
        handle = self.client.get_workflow_handle(f"order-{order.order_id}", run_id=run_id)
        return [event async for event in handle.fetch_history_events()]

    async def runs_of(self, order: OrderWorkflowInput) -> list[int]:
        """The number of history events of each run of the order, first run first."""
        sizes: list[int] = []
        run_id: str | None = await self._first_run_id(order)
        while run_id:
            events = await self._events(order, run_id)
            sizes.append(len(events))
            last = events[-1]
            continued = last.workflow_execution_continued_as_new_event_attributes
            run_id = (
                continued.new_execution_run_id
                if last.HasField("workflow_execution_continued_as_new_event_attributes")
                else None
            )
        return sizes

    async def replay_failures(self, order: OrderWorkflowInput) -> list[str]:
        """Every run of the order replayed on the current code: what failed, if anything."""
        replayer = Replayer(workflows=[OrderWorkflow], workflow_runner=SANDBOX)
        failures: list[str] = []
        run_id: str | None = await self._first_run_id(order)
        while run_id:
            handle = self.client.get_workflow_handle(f"order-{order.order_id}", run_id=run_id)
            history = await handle.fetch_history()
            result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
            if result.replay_failure is not None:
                failures.append(f"{run_id}: {result.replay_failure}")
            last = history.events[-1]
            continued = last.workflow_execution_continued_as_new_event_attributes
            run_id = (
                continued.new_execution_run_id
                if last.HasField("workflow_execution_continued_as_new_event_attributes")
                else None
            )
        return failures

    async def _first_run_id(self, order: OrderWorkflowInput) -> str:
        description = await self.describe(order)
        return description.raw_description.workflow_execution_info.first_run_id

    async def gaps_between(self, order: OrderWorkflowInput, step: str) -> list[timedelta]:
        """Workflow time between consecutive schedulings of a step, in the first run."""
        times = [
            event.event_time.ToDatetime()
            for event in await self._events(order, await self._first_run_id(order))
            if event.HasField("activity_task_scheduled_event_attributes")
            and event.activity_task_scheduled_event_attributes.activity_type.name == step
        ]
        return [later - earlier for earlier, later in itertools.pairwise(times)]

    async def priorities(self, order: OrderWorkflowInput) -> dict[str, int]:
        """The priority key each step was scheduled with (0: the workflow's own)."""
        return {
            event.activity_task_scheduled_event_attributes.activity_type.name: (
                event.activity_task_scheduled_event_attributes.priority.priority_key
            )
            for event in await self._events(order, await self._first_run_id(order))
            if event.HasField("activity_task_scheduled_event_attributes")
        }

    async def step_span(self, order: OrderWorkflowInput, step: str) -> timedelta:
        """Workflow time from scheduling the step to its final failure, all retries in
        between (the history records only the last attempt)."""
        handle = self.client.get_workflow_handle(f"order-{order.order_id}")
        scheduled_id, scheduled_at = 0, None
        async for event in handle.fetch_history_events():
            attributes = event.activity_task_scheduled_event_attributes
            if event.HasField("activity_task_scheduled_event_attributes"):
                if attributes.activity_type.name == step:
                    scheduled_id, scheduled_at = event.event_id, event.event_time.ToDatetime()
            elif event.HasField("activity_task_failed_event_attributes") or event.HasField(
                "activity_task_timed_out_event_attributes"
            ):
                ended = (
                    event.activity_task_failed_event_attributes
                    or event.activity_task_timed_out_event_attributes
                )
                if ended.scheduled_event_id == scheduled_id and scheduled_at is not None:
                    return event.event_time.ToDatetime() - scheduled_at
        raise AssertionError(f"{step} did not fail in the history")

    async def workflow_span(self, order: OrderWorkflowInput) -> timedelta:
        """Workflow time from start to close."""
        handle = self.client.get_workflow_handle(f"order-{order.order_id}")
        times = [event.event_time.ToDatetime() async for event in handle.fetch_history_events()]
        return times[-1] - times[0]


@pytest.fixture
async def saga(time_skipping: WorkflowEnvironment) -> AsyncIterator[Saga]:
    async with saga_on(time_skipping) as saga:
        yield saga


@pytest.fixture
async def saga_alone() -> AsyncIterator[Saga]:
    """A saga on a test server of its own: for tests that skip days or weeks, whose
    clock no other test's workflows share."""
    async with time_skipping_server() as env, saga_on(env) as saga:
        yield saga


@asynccontextmanager
async def saga_on(time_skipping: WorkflowEnvironment) -> AsyncIterator[Saga]:
    """Workers for this test only: the workflow on its queue, and every step's stub on
    the queue the step table names (a stub on the wrong queue would never run)."""
    stubs = Stubs()
    queue = f"saga-{uuid.uuid4().hex[:8]}"
    queues = {Queue.ORDERS: queue} | {
        q: f"{queue}-{q.value}" for q in Queue if q is not Queue.ORDERS
    }
    providers = {q.value: name for q, name in queues.items() if q is not Queue.ORDERS}
    saga = Saga(time_skipping, stubs, queue, replace(POLICY, provider_queues=providers))
    served: dict[str, list[Callable[..., Any]]] = {name: [] for name in queues.values()}
    for step in STEPS:
        served[queues[step.queue]].append(stubs.handler(step.name))
    async with AsyncExitStack() as stack:
        for name, handlers in served.items():
            await stack.enter_async_context(
                Worker(
                    time_skipping.client,
                    task_queue=name,
                    workflows=[OrderWorkflow, RefundWorkflow, ReturnWorkflow, ClaimWorkflow]
                    if name == queue
                    else [],
                    activities=handlers,
                    workflow_runner=SANDBOX,  # the worker's own: what it refuses, these do
                    # None here: the test server records no build ids (worker.py)
                    deployment_config=await declared_deployment(time_skipping.client),
                )
            )
        yield saga
