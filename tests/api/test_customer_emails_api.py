"""Customer emails go out from the outbox, not from the saga: once per milestone, in
the order they happened, after an email outage too, and none for a refused order."""

from __future__ import annotations

import json
from typing import Any

import aio_pika
import httpx
from sqlalchemy import text

from db import outbox
from db.engine import make_engine
from infra.settings import Settings
from tests.amqp import AMQP_URL, every_event, needs_rabbitmq
from tests.api.conftest import Caller, order_body, wait_for_status
from tests.factories import add_product
from tests.polling import eventually
from tests.scratch_database import scratch_database


async def subjects_sent(email: httpx.AsyncClient, order_id: str) -> list[str]:
    """Subjects of the messages the email simulator sent for this order, oldest first."""
    messages = (await email.get("/admin/ledger")).json()["messages"]
    return [m["subject"] for m in messages if str(m["key"]).startswith(f"{order_id}:")]


async def outbox_rows(session_uow: Any, order_id: str) -> list[dict[str, Any]]:
    """The order's entries the email sink has yet to send (new ones, then its own rows)."""
    async with session_uow() as uow:
        rows = await uow.session.execute(
            text(
                "SELECT attempts, last_error FROM order_outbox WHERE order_id = :id "
                "UNION ALL SELECT attempts, last_error FROM outbox_deliveries "
                "WHERE order_id = :id AND sink = 'email'"
            ),
            {"id": order_id},
        )
        return [dict(row._mapping) for row in rows]


async def test_a_delivered_order_mails_each_milestone_once_and_leaves_no_outbox_row(
    http: httpx.AsyncClient,
    customer: Caller,
    session_uow: Any,
    simulators: dict[str, httpx.AsyncClient],
) -> None:
    sku = await add_product(session_uow, on_hand=5)
    order_id = (
        await http.post("/v1/orders", json=order_body((sku, 1)), headers=customer.placing())
    ).json()["id"]
    await wait_for_status(http, customer, order_id, "delivered")

    async def all_sent() -> list[str]:
        sent = await subjects_sent(simulators["email"], order_id)
        return sent if len(sent) >= 3 and not await outbox_rows(session_uow, order_id) else []

    assert await all_sent_within(all_sent) == [
        f"We have your order {order_id}",
        f"Order {order_id} is on its way",
        f"Order {order_id} was delivered",
    ]


async def all_sent_within(probe: Any) -> list[str]:
    return list(await eventually(probe, timeout=60))


async def test_an_email_outage_holds_the_notices_back_then_sends_them_in_order(
    http: httpx.AsyncClient,
    customer: Caller,
    session_uow: Any,
    simulators: dict[str, httpx.AsyncClient],
) -> None:
    email = simulators["email"]
    sku = await add_product(session_uow, on_hand=5)
    await email.put("/admin/faults", json={"down": True})
    order_id = (
        await http.post("/v1/orders", json=order_body((sku, 1)), headers=customer.placing())
    ).json()["id"]
    # The saga does not wait for email: the order is delivered during the outage.
    await wait_for_status(http, customer, order_id, "delivered")

    async def retried() -> bool:
        rows = await outbox_rows(session_uow, order_id)
        return any(row["attempts"] >= 1 and "503" in str(row["last_error"]) for row in rows)

    await eventually(retried, timeout=60)
    assert await subjects_sent(email, order_id) == []
    await email.put("/admin/faults", json={})

    async def all_sent() -> list[str]:
        sent = await subjects_sent(email, order_id)
        return sent if len(sent) >= 3 and not await outbox_rows(session_uow, order_id) else []

    assert await all_sent_within(all_sent) == [
        f"We have your order {order_id}",
        f"Order {order_id} is on its way",
        f"Order {order_id} was delivered",
    ]


async def test_a_refused_order_is_answered_at_once_and_gets_no_email(
    http: httpx.AsyncClient,
    customer: Caller,
    session_uow: Any,
    simulators: dict[str, httpx.AsyncClient],
) -> None:
    sku = await add_product(session_uow, on_hand=1)
    refused = await http.post("/v1/orders", json=order_body((sku, 2)), headers=customer.placing())
    assert refused.status_code == 409
    order_id = refused.json()["order_id"]

    async def handed_on() -> bool:
        return not await outbox_rows(session_uow, order_id)

    await eventually(handed_on, timeout=60)
    assert await subjects_sent(simulators["email"], order_id) == []


async def test_one_relay_delivers_at_a_time_and_another_takes_over_when_it_goes(
    settings: Settings,
) -> None:
    # A database of its own: the session's relay holds the lock of the shared one.
    async with scratch_database(settings.database_url) as url:
        engine = make_engine(url)
        try:
            async with engine.connect() as first, engine.connect() as second:
                assert await outbox.take_relay_lock(first)
                assert not await outbox.take_relay_lock(second)
                await first.invalidate()  # the holder's session ends, as when its process dies

                assert await eventually(lambda: outbox.take_relay_lock(second))
                await second.invalidate()
        finally:
            await engine.dispose()


@needs_rabbitmq
async def test_an_email_outage_does_not_hold_back_the_event_feed(
    http: httpx.AsyncClient,
    customer: Caller,
    session_uow: Any,
    simulators: dict[str, httpx.AsyncClient],
) -> None:
    email = simulators["email"]
    sku = await add_product(session_uow, on_hand=5)
    connection = await aio_pika.connect_robust(AMQP_URL)
    async with connection:
        queue = await every_event(await connection.channel())
        await email.put("/admin/faults", json={"down": True})
        order_id = (
            await http.post("/v1/orders", json=order_body((sku, 1)), headers=customer.placing())
        ).json()["id"]
        await wait_for_status(http, customer, order_id, "delivered")
        async with session_uow() as uow:
            timeline = list(
                await uow.session.scalars(
                    text("SELECT id FROM order_events WHERE order_id = :id ORDER BY id"),
                    {"id": order_id},
                )
            )
        received: list[str] = []

        async def every_event_arrived() -> bool:
            while (message := await queue.get(no_ack=True, fail=False)) is not None:
                event = json.loads(message.body)
                if event["subject"] == order_id:
                    received.append(event["id"])
            return len(received) >= len(timeline)

        await eventually(every_event_arrived, timeout=60)
        # The whole feed went out while every email of the order still waits for a retry.
        waiting = await outbox_rows(session_uow, order_id)
        sent_during_outage = await subjects_sent(email, order_id)
        await email.put("/admin/faults", json={})

    assert received == [str(entry_id) for entry_id in timeline]
    assert sent_during_outage == []
    # The first email of the order was tried and refused; the later ones wait behind it.
    assert len(waiting) >= 3 and any("503" in str(row["last_error"]) for row in waiting)

    async def all_sent() -> list[str]:
        sent = await subjects_sent(email, order_id)
        return sent if len(sent) >= 3 and not await outbox_rows(session_uow, order_id) else []

    assert len(await all_sent_within(all_sent)) == 3
