"""With a backlog built while no worker polls: premium orders leave it first, and a
customer with hundreds of queued orders does not hold back another customer's few."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import select
from temporalio.client import Client

from db.tables import OrderRow
from domain.identity import workflow_id_for
from infra.bootstrap import Bootstrap
from infra.settings import Settings
from services.order_client import priority_of
from tests.factories import add_product, add_user
from tests.polling import eventually
from tests.stack import Stack
from tests.workflows.conftest import Saga
from worker import running_workers
from workflows.contracts import OrderWorkflowInput
from workflows.order import OrderWorkflow


def one_at_a_time(stack: Stack) -> Settings:
    """A worker with a single slot, so it takes tasks in the order they are dispatched."""
    return stack.settings(
        task_queue=f"backlog-{uuid.uuid4().hex[:8]}",
        max_concurrent_workflow_tasks=2,
        max_concurrent_activities=1,
    )


async def queue_up(client: Client, settings: Settings, orders: list[OrderWorkflowInput]) -> None:
    """Starts each order's workflow as the API would, one after the other."""
    for order in orders:
        await client.start_workflow(
            OrderWorkflow.run,
            order,
            id=workflow_id_for(order.order_id),
            task_queue=settings.task_queue,
            priority=priority_of(order),
        )


async def placed_in_order(session_uow: Any, order_ids: set[str]) -> list[str]:
    """The orders whose reservation ran, in the order it ran (rows are written there)."""
    async with session_uow() as uow:
        rows = await uow.session.execute(
            select(OrderRow.id).where(OrderRow.id.in_(order_ids)).order_by(OrderRow.created_at)
        )
    return [row[0] for row in rows]


def orders_of(saga: Saga, customer: str, tier: str, sku: str, count: int) -> list[Any]:
    saga.customer_id = customer
    return [
        OrderWorkflowInput(**{**vars(saga.order((sku, 1))), "customer_tier": tier})
        for _ in range(count)
    ]


async def test_premium_orders_leave_a_backlog_before_standard_ones(
    stack: Stack, client: Client, session_uow: Any
) -> None:
    settings = one_at_a_time(stack)
    sku = await add_product(session_uow, on_hand=0)  # refused at once: one step per order
    saga = Saga(client, settings, session_uow, {})
    standard = orders_of(saga, (await add_user(session_uow))[0], "standard", sku, 15)
    premium = orders_of(saga, (await add_user(session_uow))[0], "premium", sku, 5)
    await queue_up(client, settings, standard + premium)  # premium queued last

    async with Bootstrap(settings) as boot, running_workers(client, boot):
        ids = {o.order_id for o in standard + premium}

        async def all_ran() -> bool:
            return len(await placed_in_order(session_uow, ids)) == len(ids)

        await eventually(all_ran, timeout=90)

    ran = await placed_in_order(session_uow, ids)
    premium_positions = sorted(ran.index(o.order_id) for o in premium)
    print(f"\npremium orders ran at positions {premium_positions} of {len(ran)}")
    assert premium_positions[-1] < 8


async def test_a_flooding_customer_does_not_starve_another(
    stack: Stack, client: Client, session_uow: Any
) -> None:
    settings = one_at_a_time(stack)
    sku = await add_product(session_uow, on_hand=0)
    saga = Saga(client, settings, session_uow, {})
    flood = orders_of(saga, (await add_user(session_uow))[0], "standard", sku, 500)
    few = orders_of(saga, (await add_user(session_uow))[0], "standard", sku, 5)
    await asyncio.gather(*(queue_up(client, settings, flood[n::10]) for n in range(10)))
    await queue_up(client, settings, few)  # queued behind all 500

    few_ids = {o.order_id for o in few}
    all_ids = {o.order_id for o in flood + few}
    async with Bootstrap(settings) as boot, running_workers(client, boot):

        async def few_done() -> bool:
            return few_ids <= set(await placed_in_order(session_uow, all_ids))

        await eventually(few_done, timeout=120)
        ran = await placed_in_order(session_uow, all_ids)

    flood_before = len(
        [i for i in ran[: max(ran.index(i) for i in few_ids) + 1] if i not in few_ids]
    )
    print(f"\nthe 5 orders finished after {flood_before} of the 500 queued before them")
    assert flood_before < 100
