"""The outbox relay on a database of its own: a relay killed in the middle of a batch
and a new one started lose nothing, and what goes out twice carries the same id (once
in effect for a consumer that dedupes). One relay delivers at a time."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from db import outbox
from db.engine import make_engine, make_session_factory
from db.order_reads import OrderReads
from db.outbox import PendingEntry
from db.unit_of_work import UnitOfWork
from domain.money import Money
from domain.order import Address, Order, OrderLine
from outbox.amqp import AmqpPublisher
from outbox.customer_email import CustomerEmails
from outbox.relay import OutboxRelay
from providers.email import EmailClient
from providers.http import ProviderHttp
from tests.amqp import AMQP_URL, every_event, needs_rabbitmq
from tests.factories import add_product, add_user
from tests.polling import eventually
from tests.scratch_database import scratch_database

ORDERS = 6


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A fresh, migrated database on the same server: no other relay holds its lock."""
    async with scratch_database(database_url, migrated=True) as url:
        engine = make_engine(url)
        yield engine
        await engine.dispose()


async def place_orders(engine: AsyncEngine) -> list[int]:
    """Orders written as the reservation writes them; the ids of their timeline entries."""
    sessions = make_session_factory(engine)

    def uow() -> UnitOfWork:
        return UnitOfWork(sessions)

    customer, _ = await add_user(uow)
    sku = await add_product(uow)
    for _ in range(ORDERS):
        order = Order.place(
            f"ord_{uuid.uuid4().hex[:20]}",
            customer,
            [OrderLine(sku, 1, Money(1_000, "USD"))],
            Address("Ada", "1 Main St", "Springfield", "12345", "US"),
            "USD",
        )
        order.reserve()
        async with uow() as unit:
            await unit.orders.add(order, idempotency_key=uuid.uuid4().hex, fingerprint="f")
            await unit.commit()
    async with engine.connect() as connection:
        return list(await connection.scalars(text("SELECT event_id FROM order_outbox ORDER BY 1")))


class Recorder:
    """A sink that records every delivery; it can stall on the n-th, as a process
    would that is killed while delivering."""

    def __init__(self, stall_at: int | None = None) -> None:
        self.delivered: list[int] = []
        self.stall_at = stall_at
        self.stalled = asyncio.Event()

    async def deliver(self, entry: PendingEntry) -> None:
        if self.stall_at is not None and len(self.delivered) == self.stall_at:
            self.stalled.set()
            await asyncio.Event().wait()  # never returns: the relay is killed here
        self.delivered.append(entry.id)


async def test_a_relay_killed_mid_batch_loses_nothing_and_repeats_only_ids(
    database: AsyncEngine,
) -> None:
    entries = await place_orders(database)
    dying = Recorder(stall_at=len(entries) // 2)
    first = OutboxRelay(database, {"test": dying}, batch_size=len(entries), linger_seconds=0)
    stop = asyncio.Event()
    running = asyncio.create_task(first.run(stop))
    await asyncio.wait_for(dying.stalled.wait(), timeout=60)
    running.cancel()  # killed: nothing after this point runs, the batch is not settled
    with pytest.raises(asyncio.CancelledError):
        await running

    survivor = Recorder()
    second = OutboxRelay(database, {"test": survivor}, linger_seconds=0)
    restarted = asyncio.create_task(second.run(stop))

    async def drained() -> bool:
        async with database.connect() as connection:
            return await outbox.pending(connection) == 0

    await eventually(drained, timeout=60)
    stop.set()
    await restarted

    assert set(dying.delivered) | set(survivor.delivered) == set(entries)
    assert set(survivor.delivered) >= set(entries) - set(dying.delivered)
    # Repeats are whole entries with their own ids, in order per order: a consumer
    # that dedupes on the id sees each entry once.
    assert len(set(survivor.delivered)) == len(survivor.delivered)
    assert survivor.delivered == sorted(survivor.delivered)


async def test_each_statement_of_the_relay_is_a_transaction_of_its_own(
    database: AsyncEngine,
) -> None:
    """No `BEGIN` and `COMMIT` round trips around the relay's statements: after each
    one, its connection is in no transaction (one was, before the relay ran so)."""
    entries = await place_orders(database)
    left_open: list[bool] = []

    def note(connection: Any, *_: Any) -> None:
        left_open.append(connection.connection.driver_connection.is_in_transaction())

    sink = Recorder()
    relay = OutboxRelay(database, {"test": sink}, linger_seconds=0)
    stop = asyncio.Event()
    event.listen(database.sync_engine, "after_cursor_execute", note)
    running = asyncio.create_task(relay.run(stop))

    async def all_delivered() -> bool:
        return len(sink.delivered) == len(entries)

    try:
        await eventually(all_delivered, timeout=60)
    finally:
        stop.set()
        await running
        event.remove(database.sync_engine, "after_cursor_execute", note)

    assert sorted(sink.delivered) == entries
    assert len(left_open) >= 3 and not any(left_open)  # the lock, a move, a read, a delete


async def test_only_one_of_two_relays_delivers(database: AsyncEngine) -> None:
    entries = await place_orders(database)
    sinks = [Recorder(), Recorder()]
    relays = [OutboxRelay(database, {"test": sink}, linger_seconds=0) for sink in sinks]
    stop = asyncio.Event()
    running = [asyncio.create_task(relay.run(stop)) for relay in relays]

    async def one_active() -> Any:
        return [relay.active for relay in relays].count(True) == 1 and sum(
            len(sink.delivered) for sink in sinks
        ) == len(entries)

    await eventually(one_active, timeout=60)
    stop.set()
    await asyncio.gather(*running)

    assert sorted(sinks[0].delivered + sinks[1].delivered) == entries
    assert [] in (sinks[0].delivered, sinks[1].delivered)


class Stalling:
    """Hands entries to a real sink until the n-th, then stalls there (killed)."""

    def __init__(self, inner: Any, stall_at: int) -> None:
        self.inner = inner
        self.stall_at = stall_at
        self.handed = 0
        self.stalled = asyncio.Event()

    async def deliver(self, entry: PendingEntry) -> None:
        if self.handed == self.stall_at:
            self.stalled.set()
            await asyncio.Event().wait()
        await self.inner.deliver(entry)
        self.handed += 1


@needs_rabbitmq
async def test_killed_mid_batch_on_rabbitmq_a_deduping_consumer_sees_each_entry_once(
    database: AsyncEngine,
) -> None:
    entries = await place_orders(database)
    async with database.connect() as connection:
        orders = set(await connection.scalars(text("SELECT DISTINCT order_id FROM order_outbox")))
    connection = await aio_pika.connect_robust(AMQP_URL)
    async with connection:
        queue = await every_event(await connection.channel())

        first = AmqpPublisher(AMQP_URL, "/test")
        dying = Stalling(first, stall_at=len(entries) // 2)
        stop = asyncio.Event()
        running = asyncio.create_task(
            OutboxRelay(database, {"amqp": dying}, batch_size=len(entries), linger_seconds=0).run(
                stop
            )
        )
        await asyncio.wait_for(dying.stalled.wait(), timeout=60)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        await first.close()
        second = AmqpPublisher(AMQP_URL, "/test")
        restarted = asyncio.create_task(
            OutboxRelay(database, {"amqp": second}, linger_seconds=0).run(stop)
        )
        received: list[str] = []

        async def all_received() -> bool:
            while (message := await queue.get(no_ack=True, fail=False)) is not None:
                event = json.loads(message.body)
                if event["subject"] in orders:
                    received.append(event["id"])
            return set(received) == {str(entry) for entry in entries}

        await eventually(all_received, timeout=60)
        stop.set()
        await restarted
        await second.close()

    assert len(received) > len(entries)  # the killed batch went out twice on the wire ...
    assert len(set(received)) == len(entries)  # ... and once per id: once in effect


class Failing:
    """A sink that refuses every entry until it is healed."""

    def __init__(self) -> None:
        self.healed = False
        self.tried = 0
        self.delivered: list[int] = []

    async def deliver(self, entry: PendingEntry) -> None:
        self.tried += 1
        if not self.healed:
            raise ConnectionError("the provider is down")
        self.delivered.append(entry.id)


async def rows_of(database: AsyncEngine, sink: str) -> list[dict[str, Any]]:
    async with database.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT event_id, attempts, parked_at FROM outbox_deliveries "
                "WHERE sink = :sink ORDER BY event_id"
            ),
            {"sink": sink},
        )
        return [dict(row._mapping) for row in rows]


async def test_a_failing_sink_holds_back_no_other_and_is_parked_after_its_last_attempt(
    database: AsyncEngine,
) -> None:
    entries = await place_orders(database)
    down, up = Failing(), Recorder()
    relay = OutboxRelay(database, {"down": down, "up": up}, linger_seconds=0, max_attempts=2)
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))

    async def all_parked() -> bool:
        rows = await rows_of(database, "down")
        return len(rows) == len(entries) and all(row["parked_at"] for row in rows)

    async def up_has_all() -> bool:
        return len(up.delivered) == len(entries)

    await eventually(up_has_all, timeout=60)
    await eventually(all_parked, timeout=60)
    async with database.connect() as connection:
        parked = await outbox.parked(connection, "down", limit=100)
        assert await outbox.pending(connection) == 0  # parked rows wait for an operator

    assert sorted(up.delivered) == entries  # on time, the other sink down all along
    assert await rows_of(database, "up") == []
    assert [p.event_id for p in parked] == entries
    assert all(p.attempts == 2 and "provider is down" in str(p.last_error) for p in parked)
    # One try per parked order's first entry and per attempt: later entries of an order
    # wait behind its first, they are not each tried.
    tried_before_retry = down.tried

    down.healed = True
    async with database.connect() as connection:
        assert await outbox.unpark(connection, entries[:2], sink="down") == 2
        assert await outbox.drop_parked(connection, entries[2:3], sink="down") == 1

    async def retried_ones_delivered() -> bool:
        # Delivered, and their rows gone: the relay deletes a row after its sink took it.
        rows = await rows_of(database, "down")
        delivered = sorted(down.delivered) == entries[:2]
        return delivered and [row["event_id"] for row in rows] == entries[3:]

    await eventually(retried_ones_delivered, timeout=60)
    stop.set()
    await running

    assert tried_before_retry >= 2
    remaining = await rows_of(database, "down")
    assert [row["event_id"] for row in remaining] == entries[3:]
    assert all(row["parked_at"] for row in remaining)


async def test_a_batch_of_emails_reads_its_notices_in_one_statement(
    database: AsyncEngine, simulators: dict[str, httpx.AsyncClient]
) -> None:
    """The email sink reads what a batch's emails say at once: one statement for the
    batch, not one per email; every email still goes out, to its own customer."""
    entries = await place_orders(database)  # one email each: placed
    notice_reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM orders o JOIN users u" in statement:
            notice_reads.append(statement)

    event.listen(database.sync_engine, "before_cursor_execute", count)
    reads = OrderReads(database.execution_options(isolation_level="AUTOCOMMIT"))
    http = ProviderHttp(str(simulators["email"].base_url), timeout=30)
    emails = CustomerEmails(reads, EmailClient(http))
    relay = OutboxRelay(database, {"email": emails}, linger_seconds=0)
    try:
        async with database.connect() as connection:
            assert await outbox.fan_out(connection, ["email"], 100) == len(entries)
            await connection.commit()
            assert await relay.deliver_due(connection, "email") == len(entries)
            await connection.commit()
    finally:
        await http.aclose()

    assert len(notice_reads) == 1
    ledger = (await simulators["email"].get("/admin/ledger")).json()["messages"]
    async with database.connect() as connection:
        ours = set(await connection.scalars(text("SELECT id FROM orders")))
    assert len({m["key"] for m in ledger if str(m["key"]).split(":")[0] in ours}) == ORDERS
