"""Starting a refund's, return's or claim's workflow: once per id, found in the
Temporal UI by the order (and the customer) it belongs to."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from temporalio.client import Client
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from infra.settings import Settings
from workflows import search_attributes

ArgT = TypeVar("ArgT")


async def start_after_sale(
    client: Client,
    settings: Settings,
    run: Callable[[Any, ArgT], Awaitable[Any]],
    arg: ArgT,
    *,
    workflow_id: str,
    order_id: str,
    customer_id: str | None,
    summary: str,
) -> None:
    """Starts a refund's, return's or claim's workflow once: a second start of the same
    id (a retried request, a replayed decision) finds the one running, and one that has
    ended already is left be (its row has the outcome)."""
    try:
        await client.start_workflow(
            run,
            arg,
            id=workflow_id,
            task_queue=settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=after_sale_attributes(order_id, customer_id),
            static_summary=summary,
        )
    except WorkflowAlreadyStartedError:
        pass


def after_sale_attributes(order_id: str, customer_id: str | None = None) -> TypedSearchAttributes:
    """What a return's, claim's or refund's workflow is found by in the Temporal UI."""
    pairs = [SearchAttributePair(search_attributes.ORDER_ID, order_id)]
    if customer_id is not None:
        pairs.append(SearchAttributePair(search_attributes.CUSTOMER_ID, customer_id))
    return TypedSearchAttributes(pairs)
