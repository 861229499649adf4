"""A fresh task queue and worker per workflow test, on the real dev server."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from temporalio import activity
from temporalio.client import Client, WorkflowHandle

from domain.commands import LineRequest
from domain.identity import new_id, request_fingerprint, workflow_id_for
from domain.order import Address
from infra.bootstrap import Bootstrap
from infra.settings import Settings
from services.order_client import saga_policy, start_and_reserve
from tests.factories import add_product, add_user
from tests.polling import eventually
from worker import (
    activity_objects,
    build_workers,
    declared_deployment,
    provider_throttle,
    running_relay,
)
from workflows.contracts import OrderView, OrderWorkflowInput, Placement
from workflows.steps import served_by_queue

LONDON = Address("Ada Lovelace", "12 St James Square", "London", "SW1Y 4JH", "GB")


@dataclass
class Saga:
    """Places orders the way the API does, on this test's own task queue."""

    client: Client
    settings: Settings
    uow: Any
    simulators: dict[str, httpx.AsyncClient]
    customer_id: str = ""

    def order(
        self,
        *lines: tuple[str, int],
        token: str = "tok_ok",
        address: Address = LONDON,
        key: str | None = None,
        **policy: Any,
    ) -> OrderWorkflowInput:
        key = key or uuid.uuid4().hex
        body = {"lines": lines, "token": token, "address": dataclasses.asdict(address)}
        return OrderWorkflowInput(
            order_id=new_id("ord"),
            customer_id=self.customer_id,
            customer_tier="standard",
            lines=[LineRequest(sku, quantity) for sku, quantity in lines],
            shipping_address=address,
            payment_token=token,
            currency="USD",
            idempotency_key=key,
            fingerprint=request_fingerprint(body),
            policy=dataclasses.replace(saga_policy(self.settings), **policy),
        )

    async def place(self, order: OrderWorkflowInput) -> Placement:
        return await start_and_reserve(self.client, self.settings, order)

    def handle(self, order: OrderWorkflowInput) -> WorkflowHandle[Any, OrderView]:
        return self.client.get_workflow_handle(
            workflow_id_for(order.order_id), result_type=OrderView
        )

    async def outcome(self, order: OrderWorkflowInput, timeout: float = 60) -> OrderView:
        return await asyncio.wait_for(self.handle(order).result(), timeout)

    async def attempts(self, order: OrderWorkflowInput, activity: str) -> int:
        """How many times the workflow has tried this activity so far, while it is still
        pending (scheduled, running or waiting to retry); 0 when it is not pending."""
        description = await self.handle(order).describe()
        return max(
            (
                pending.attempt
                for pending in description.raw_description.pending_activities
                if pending.activity_type.name == activity
            ),
            default=0,
        )

    async def product(self, **kwargs: Any) -> str:
        return await add_product(self.uow, **kwargs)

    async def ledger(self, simulator: str) -> dict[str, Any]:
        response = await self.simulators[simulator].get("/admin/ledger")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    async def payment_operations(self, order_id: str) -> list[str]:
        """What the payment provider did for this order, in order."""
        ledger = await self.ledger("payment")
        ids = {a["id"] for a in ledger["authorizations"] if a["reference"] == order_id}
        return [op["op"] for op in ledger["operations"] if op.get("id") in ids]

    async def emails(self, order_id: str) -> list[str]:
        ledger = await self.ledger("email")
        return [
            m["key"].split(":", 1)[1]
            for m in ledger["messages"]
            if m["key"] and m["key"].startswith(order_id)
        ]

    async def emails_once(self, order_id: str, count: int) -> list[str]:
        """The order's emails once `count` have gone out (the outbox relay sends them
        after the saga has moved on)."""

        async def sent() -> list[str]:
            emails = await self.emails(order_id)
            return emails if len(emails) >= count else []

        return await eventually(sent, timeout=60)

    async def faults(self, simulator: str, **faults: Any) -> None:
        (await self.simulators[simulator].put("/admin/faults", json=faults)).raise_for_status()


@pytest.fixture
async def saga(
    client: Client,
    settings: Settings,
    session_uow: Any,
    simulators: dict[str, httpx.AsyncClient],
    request: pytest.FixtureRequest,
) -> AsyncIterator[Saga]:
    """Parametrized indirectly with True, each provider gets a queue of its own."""
    provider_queues = bool(getattr(request, "param", False))
    async with saga_with(
        client, settings, session_uow, simulators, wrap={}, provider_queues=provider_queues
    ) as saga:
        yield saga


def activity_name(handler: Any) -> str:
    return str(activity._Definition.must_from_callable(handler).name)


@asynccontextmanager
async def saga_with(
    client: Client,
    settings: Settings,
    uow: Any,
    simulators: dict[str, httpx.AsyncClient],
    wrap: dict[str, Callable[[Any], Any]],
    provider_queues: bool = False,
) -> AsyncIterator[Saga]:
    """Workers on a queue of their own, with the named activities wrapped; the provider
    calls on that queue too (the default layout), or with `provider_queues` each on a
    queue of its provider's."""
    queue = f"wf-{uuid.uuid4().hex[:10]}"
    providers = ("payment", "carrier", "email") if provider_queues else ()
    own = settings.model_copy(
        update={"task_queue": queue}
        | {f"{provider}_task_queue": f"{queue}-{provider}" for provider in providers}
    )
    async with Bootstrap(own) as boot, AsyncExitStack() as stack:
        served = {
            queue: [wrap[activity_name(h)](h) if activity_name(h) in wrap else h for h in handlers]
            for queue, handlers in served_by_queue(activity_objects(boot)).items()
        }
        declared = await declared_deployment(client)
        for worker in build_workers(client, own, served, declared, provider_throttle(boot)):
            await stack.enter_async_context(worker)
        # Emails go out from the outbox: this relay delivers, or stands by for another.
        await stack.enter_async_context(running_relay(boot))
        saga = Saga(client, own, uow, simulators)
        saga.customer_id, _ = await add_user(uow)
        yield saga


@asynccontextmanager
async def carrier_updates_off(simulators: dict[str, httpx.AsyncClient]) -> AsyncIterator[None]:
    """The carrier books parcels but reports no progress, so none is delivered before
    the saga gets to cancel it (the test carrier delivers in half a second)."""
    carrier = simulators["carrier"]
    config = (await carrier.get("/admin/config")).json()
    (await carrier.put("/admin/config", json={**config, "send_updates": False})).raise_for_status()
    try:
        yield
    finally:
        await carrier.put("/admin/config", json=config)
