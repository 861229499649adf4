"""Order creation is shed under pressure, standard customers before premium ones."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from api.load_shedding import InFlight, LoadShedder
from domain.users import Role, Tier
from infra.settings import Settings
from tests.api.conftest import Caller, api_client, order_body
from tests.factories import add_product, add_user
from tests.polling import eventually


async def test_past_the_in_flight_bound_standard_orders_are_shed_and_premium_pass(
    settings: Settings, worker: Worker, session_uow: Any
) -> None:
    sku = await add_product(session_uow, on_hand=10)
    standard = Caller(*await add_user(session_uow, Role.CUSTOMER, Tier.STANDARD))
    premium = Caller(*await add_user(session_uow, Role.CUSTOMER, Tier.PREMIUM))
    # Every request counts itself, so a bound of 0 means "always over it".
    pressed = settings.model_copy(update={"shed_in_flight": {"standard": 0, "premium": 50}})
    async with api_client(pressed) as http:
        shed = await http.post("/v1/orders", json=order_body((sku, 1)), headers=standard.placing())
        served = await http.post("/v1/orders", json=order_body((sku, 1)), headers=premium.placing())
        read = await http.get("/v1/orders", headers=standard.auth)

    assert shed.status_code == 503
    assert shed.json()["type"] == "/problems/overloaded"
    assert shed.headers["Retry-After"] == str(settings.shed_retry_after)
    assert served.status_code == 201
    assert read.status_code == 200


async def test_a_replay_is_answered_while_orders_are_shed_and_a_shed_order_claims_nothing(
    settings: Settings, worker: Worker, session_uow: Any
) -> None:
    sku = await add_product(session_uow, on_hand=10)
    standard = Caller(*await add_user(session_uow, Role.CUSTOMER, Tier.STANDARD))
    placed_key, shed_key = uuid.uuid4().hex, uuid.uuid4().hex
    pressed = settings.model_copy(update={"shed_in_flight": {"standard": 0, "premium": 50}})
    async with api_client(settings) as http:
        placed = await http.post(
            "/v1/orders", json=order_body((sku, 1)), headers=standard.placing(placed_key)
        )
    async with api_client(pressed) as http:
        replayed = await http.post(
            "/v1/orders", json=order_body((sku, 1)), headers=standard.placing(placed_key)
        )
        shed = await http.post(
            "/v1/orders", json=order_body((sku, 1)), headers=standard.placing(shed_key)
        )
    async with session_uow() as uow:
        claimed = await uow.idempotency.live(standard.id, shed_key)

    assert (placed.status_code, replayed.status_code) == (201, 201)
    assert replayed.json()["id"] == placed.json()["id"]
    assert shed.status_code == 503
    assert claimed is None


async def test_a_task_queue_backlog_sheds_standard_orders_first(
    client: Client, settings: Settings, session_uow: Any
) -> None:
    queue = f"backlog-{uuid.uuid4().hex[:8]}"  # no worker polls it: tasks pile up
    for number in range(6):
        await client.start_workflow(
            "OrderWorkflow", "never run", id=f"{queue}-{number}", task_queue=queue
        )
    pressed = settings.model_copy(
        update={
            "task_queue": queue,
            "shed_backlog": {"standard": 3, "premium": 1_000},
            "placement_timeout": timedelta(seconds=2),
        }
    )
    shedder = LoadShedder(client, pressed, InFlight())

    async def backlog_seen() -> bool:
        return await shedder.backlog() >= 6

    await eventually(backlog_seen)
    sku = await add_product(session_uow, on_hand=10)
    standard = Caller(*await add_user(session_uow, Role.CUSTOMER, Tier.STANDARD))
    premium = Caller(*await add_user(session_uow, Role.CUSTOMER, Tier.PREMIUM))
    async with api_client(pressed) as http:
        shed = await http.post("/v1/orders", json=order_body((sku, 1)), headers=standard.placing())
        admitted = await http.post(
            "/v1/orders", json=order_body((sku, 1)), headers=premium.placing()
        )

    assert shed.json()["type"] == "/problems/overloaded"
    # Premium got past the shedder; with no worker on the queue it then waits and times out.
    assert admitted.json()["type"] == "/problems/placement-pending"
