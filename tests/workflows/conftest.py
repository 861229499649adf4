"""A fresh task queue and worker per workflow test, on the real dev server."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from temporalio.client import Client, WorkflowHandle

from api.order_commands import place_order, saga_policy
from domain.commands import LineRequest
from domain.identity import new_id, request_fingerprint, workflow_id_for
from domain.order import Address
from settings import Settings
from tests.factories import add_product, add_user
from worker import running_workers
from workflows.contracts import OrderOutcome, OrderWorkflowInput, Placement

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
        return await place_order(self.client, self.settings, order)

    def handle(self, order: OrderWorkflowInput) -> WorkflowHandle[Any, OrderOutcome]:
        return self.client.get_workflow_handle(
            workflow_id_for(order.order_id), result_type=OrderOutcome
        )

    async def outcome(self, order: OrderWorkflowInput, timeout: float = 60) -> OrderOutcome:
        return await asyncio.wait_for(self.handle(order).result(), timeout)

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

    async def faults(self, simulator: str, **faults: Any) -> None:
        (await self.simulators[simulator].put("/admin/faults", json=faults)).raise_for_status()


@pytest.fixture
async def saga(
    client: Client,
    settings: Settings,
    session_uow: Any,
    simulators: dict[str, httpx.AsyncClient],
) -> AsyncIterator[Saga]:
    queue = f"wf-{uuid.uuid4().hex[:10]}"
    own = settings.model_copy(
        update={
            "task_queue": queue,
            "payment_task_queue": f"{queue}-payment",
            "carrier_task_queue": f"{queue}-carrier",
            "email_task_queue": f"{queue}-email",
        }
    )
    async with running_workers(client, own):
        saga = Saga(client, own, session_uow, simulators)
        saga.customer_id, _ = await add_user(session_uow)
        yield saga
