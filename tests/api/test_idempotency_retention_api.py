"""Idempotency keys are honoured for a window; after it the same key is a new order."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from temporalio.client import Client, ScheduleActionStartWorkflow
from temporalio.service import RPCError
from temporalio.testing import ActivityEnvironment
from temporalio.worker import Worker

from activities.housekeeping import HousekeepingActivities
from domain.commands import PurgeExpiredKeys
from infra.namespace_setup import PURGE_KEYS_SCHEDULE, ensure_schedules
from infra.settings import Settings
from tests.api.conftest import Caller, api_client, order_body
from tests.factories import add_product, expire_key
from tests.polling import eventually


async def test_a_key_replays_inside_its_window_and_is_new_after_it(
    settings: Settings, worker: Worker, customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, on_hand=10)
    body = order_body((sku, 1))
    async with api_client(settings) as http:
        first = await http.post("/v1/orders", json=body, headers=customer.placing("window-key"))
        inside = await http.post("/v1/orders", json=body, headers=customer.placing("window-key"))
        await expire_key(session_uow, customer.id, "window-key")
        after = await http.post("/v1/orders", json=body, headers=customer.placing("window-key"))

    assert (first.status_code, inside.status_code, after.status_code) == (201, 201, 201)
    assert inside.json()["id"] == first.json()["id"]
    assert inside.headers["Idempotent-Replayed"] == "true"
    assert after.json()["id"] != first.json()["id"]
    assert "Idempotent-Replayed" not in after.headers


async def test_after_its_window_a_key_may_carry_another_body(
    settings: Settings, worker: Worker, customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, on_hand=10)
    async with api_client(settings) as http:
        await http.post("/v1/orders", json=order_body((sku, 1)), headers=customer.placing("k2"))
        reused = await http.post(
            "/v1/orders", json=order_body((sku, 2)), headers=customer.placing("k2")
        )
        await expire_key(session_uow, customer.id, "k2")
        renewed = await http.post(
            "/v1/orders", json=order_body((sku, 2)), headers=customer.placing("k2")
        )

    assert reused.status_code == 422
    assert renewed.status_code == 201 and renewed.json()["items"][0]["quantity"] == 2


async def test_the_purge_deletes_expired_keys_only(
    settings: Settings, customer: Caller, session_uow: Any
) -> None:
    async with session_uow() as uow:
        await uow.idempotency.claim(customer.id, "old", "ord_old", "f" * 64, timedelta(0))
        await uow.idempotency.claim(customer.id, "live", "ord_live", "f" * 64, timedelta(hours=1))
        await uow.commit()

    purged = await ActivityEnvironment().run(
        HousekeepingActivities(session_uow).purge_expired_idempotency_keys, PurgeExpiredKeys()
    )

    assert purged.deleted >= 1
    async with session_uow() as uow:
        assert await uow.idempotency.live(customer.id, "live") is not None
        assert await uow.idempotency.live(customer.id, "old") is None


async def test_workers_register_the_purge_schedule_once(client: Client, settings: Settings) -> None:
    # The dev server is shared by the session: a worker of another test may have
    # registered it first, with its own task queue.
    with contextlib.suppress(RPCError):
        await client.get_schedule_handle(PURGE_KEYS_SCHEDULE).delete()
    await ensure_schedules(client, settings)
    await ensure_schedules(client, settings)  # a second worker starting: no error, no change

    description = await client.get_schedule_handle(PURGE_KEYS_SCHEDULE).describe()
    action = description.schedule.action

    assert description.info.last_updated_at is None  # created once, never replaced
    assert description.schedule.spec.intervals[0].every == timedelta(hours=1)
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert action.workflow == "PurgeIdempotencyKeysWorkflow"
    assert action.task_queue == settings.task_queue

    async def listed_once() -> bool:
        ids = [s.id async for s in await client.list_schedules()]
        return ids.count(PURGE_KEYS_SCHEDULE) == 1

    await eventually(listed_once)
