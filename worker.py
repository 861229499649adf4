"""Composition root of the worker process: builds every dependency once, then
polls the order task queue until SIGTERM or Ctrl-C.

Run: `orders-worker` (or `python -m worker`).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.worker import Worker

from activities.housekeeping import HousekeepingActivities
from activities.notify import NotificationActivities
from activities.order_status import OrderStatusActivities
from activities.payment import PaymentActivities
from activities.providers.carrier import CarrierClient
from activities.providers.email import EmailClient
from activities.providers.payment import PaymentClient
from activities.shipping import ShippingActivities
from activities.stock import StockActivities
from db.engine import make_engine, make_session_factory
from db.unit_of_work import UnitOfWork
from schedules import ensure_schedules
from settings import Settings, get_settings
from temporal_client import connect_temporal
from workflows.housekeeping import PurgeIdempotencyKeysWorkflow
from workflows.order_workflow import OrderWorkflow

log = logging.getLogger("orders.worker")


@asynccontextmanager
async def activity_handlers(settings: Settings) -> AsyncIterator[Sequence[Any]]:
    """Every activity, bound to one engine and one HTTP client per provider."""
    async with AsyncExitStack() as stack:
        engine = make_engine(settings.database_url)
        stack.push_async_callback(engine.dispose)
        sessions = make_session_factory(engine)

        def uow() -> UnitOfWork:
            return UnitOfWork(sessions)

        def http(base_url: str) -> httpx.AsyncClient:
            timeout = settings.provider_timeout.total_seconds()
            return httpx.AsyncClient(base_url=base_url, timeout=timeout)

        payments = PaymentClient(await stack.enter_async_context(http(settings.payment_url)))
        carrier = CarrierClient(await stack.enter_async_context(http(settings.carrier_url)))
        email = EmailClient(await stack.enter_async_context(http(settings.email_url)))

        stock = StockActivities(uow)
        payment = PaymentActivities(uow, payments)
        shipping = ShippingActivities(uow, carrier)
        status = OrderStatusActivities(uow)
        notify = NotificationActivities(uow, email)
        housekeeping = HousekeepingActivities(uow)
        yield [
            stock.reserve_stock,
            stock.release_stock,
            status.request_review,
            status.record_review,
            status.close_order,
            payment.authorize_payment,
            payment.capture_payment,
            payment.void_payment,
            shipping.create_shipment,
            shipping.record_carrier_event,
            shipping.cancel_shipment,
            notify.send_notification,
            housekeeping.purge_expired_idempotency_keys,
        ]


def build_worker(client: Client, settings: Settings, activities: Sequence[Any]) -> Worker:
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[OrderWorkflow, PurgeIdempotencyKeysWorkflow],
        activities=activities,
        graceful_shutdown_timeout=timedelta(seconds=10),
    )


async def run(settings: Settings) -> None:
    client = await connect_temporal(settings)
    await ensure_schedules(client, settings)
    async with activity_handlers(settings) as activities:
        worker = build_worker(client, settings, activities)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with worker:
            log.info("worker polling task queue %s", settings.task_queue)
            await stop.wait()
            log.info("worker stopping: finishing running activities")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    asyncio.run(run(get_settings()))


if __name__ == "__main__":
    main()
