"""What every activity handler shares: its unit of work, and how refusals cross into Temporal."""

from __future__ import annotations

from collections.abc import Callable

from temporalio.exceptions import ApplicationError

from db.unit_of_work import UnitOfWork
from domain.errors import DomainError, OrderNotFound
from domain.order import Order

UnitOfWorkFactory = Callable[[], UnitOfWork]


def refusal(error: DomainError) -> ApplicationError:
    """A business refusal becomes a non-retryable error named after it."""
    return ApplicationError(str(error), type=type(error).__name__, non_retryable=True)


def order_not_found(order_id: str) -> ApplicationError:
    return refusal(OrderNotFound(order_id))


async def read_order(uow: UnitOfWorkFactory, order_id: str) -> Order:
    """The order as committed, without holding a lock (for use before a provider call)."""
    async with uow() as unit:
        order = await unit.orders.get(order_id, lock=False)
    if order is None:
        raise order_not_found(order_id)
    return order
