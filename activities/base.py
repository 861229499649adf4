"""What every activity handler shares: its unit of work, how refusals cross into
Temporal, and how one attempt of a provider call is bounded."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from db.unit_of_work import UnitOfWork
from domain.errors import DomainError, OrderNotFound
from domain.order import Order
from providers.http import ProviderUnavailable, calls_until

UnitOfWorkFactory = Callable[[], UnitOfWork]

# How often a provider step tells Temporal it is alive while its call runs; the
# step's heartbeat timeout (workflows/steps.py) is a few of these.
HEARTBEAT_EVERY = 2.0


def refusal(error: DomainError) -> ApplicationError:
    """A business refusal becomes a non-retryable error named after it."""
    return ApplicationError(str(error), type=type(error).__name__, non_retryable=True)


def order_not_found(order_id: str) -> ApplicationError:
    return refusal(OrderNotFound(order_id))


def not_yet(message: str, retry_after: float | None = None) -> ApplicationError:
    """A retryable failure: the same attempt may succeed later, after `retry_after`
    seconds when somebody said how long (Temporal's own backoff otherwise)."""
    return ApplicationError(
        message,
        type=ProviderUnavailable.__name__,
        next_retry_delay=timedelta(seconds=retry_after) if retry_after is not None else None,
    )


async def read_order(uow: UnitOfWorkFactory, order_id: str) -> Order:
    """The order as committed, without holding a lock (for use before a provider call)."""
    async with uow() as unit:
        order = await unit.orders.get(order_id, lock=False)
    if order is None:
        raise order_not_found(order_id)
    return order


@asynccontextmanager
async def provider_attempt() -> AsyncIterator[None]:
    """One attempt of a provider step: heartbeats while it runs, so a cancel reaches the
    call in flight; ends every HTTP call, and the attempt itself, by the attempt's
    deadline, so no call of a given-up attempt lands after the retry or the undo has
    looked; and turns what the provider answered into a refusal (final) or a wait
    (retried after `Retry-After`)."""
    deadline = _attempt_deadline()
    beating = asyncio.create_task(_heartbeat())
    try:
        async with asyncio.timeout_at(_on_loop_clock(deadline)):
            with calls_until(deadline):
                yield
    except DomainError as error:
        raise refusal(error) from error
    except ProviderUnavailable as busy:  # "later", or not reached (refused, reset, timed out)
        raise not_yet(str(busy), busy.retry_after) from busy
    except TimeoutError as lost:  # the attempt's deadline cut the call
        raise not_yet(f"the provider did not answer within the attempt: {lost!r}") from lost
    finally:
        beating.cancel()


def _attempt_deadline() -> float | None:
    """When this attempt must be over, on the monotonic clock: the end of its
    start-to-close timeout, or of the step's whole bound if that comes first."""
    info = activity.info()
    now = datetime.now(UTC)
    ends: list[datetime] = []
    if info.start_to_close_timeout is not None and info.started_time is not None:
        ends.append(_utc(info.started_time) + info.start_to_close_timeout)
    if info.schedule_to_close_timeout is not None and info.scheduled_time is not None:
        ends.append(_utc(info.scheduled_time) + info.schedule_to_close_timeout)
    if not ends:
        return None
    return time.monotonic() + (min(ends) - now).total_seconds()


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _on_loop_clock(deadline: float | None) -> float | None:
    """The monotonic deadline on the event loop's own clock (asyncio.timeout_at)."""
    if deadline is None:
        return None
    return asyncio.get_running_loop().time() + (deadline - time.monotonic())


async def _heartbeat() -> None:
    # The first beat waits one interval. The SDK sends a first heartbeat to the server at
    # once, and each is a write of the workflow's state there; a provider call almost
    # always ends sooner, so only a slow one beats (a cancel reaches it by then).
    while True:
        await asyncio.sleep(HEARTBEAT_EVERY)
        activity.heartbeat()
