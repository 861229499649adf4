"""The outbox relay: hands every new timeline entry to its sinks, oldest first.

Why a relay and not a step of the saga: each Temporal activity costs the order three
history events and a task-queue round trip, and a notice is nothing the saga decides
on. The entry and its outbox row commit together (`db/orders.py`), so nothing is lost
between the two; the relay delivers at least once, and a sink that must not act twice
dedupes on the entry's id (the email provider on its idempotency key).

One relay per database delivers at a time (an advisory lock); every worker process
runs one, and the others stand by to take over. It wakes on PostgreSQL's NOTIFY from
the outbox trigger, and polls for retries coming due. Each sink (the customer's
email, RabbitMQ, Kafka) has its own delivery rows and its own task: while the email
provider is down, the brokers still get every event on time. A row that fails
`max_attempts` times is parked for an operator (`orders-admin outbox`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db import outbox
from db.outbox import PendingEntry

log = logging.getLogger("orders.events.relay")

DELIVERED = Counter(
    "orders_outbox_delivered_total",
    "Timeline entries handed on by the relay, by sink and type.",
    ["sink", "type"],
)
RETRIED = Counter(
    "orders_outbox_retries_total",
    "Deliveries that failed and wait for a retry, by sink and type.",
    ["sink", "type"],
)
PARKED = Counter(
    "orders_outbox_parked_total",
    "Deliveries given up after the last attempt and parked for an operator, by sink.",
    ["sink"],
)
# Set by the active relay (the standby ones keep 0): take max by sink across workers.
PENDING = Gauge("orders_outbox_pending", "Deliveries waiting, by sink (parked aside).", ["sink"])
OLDEST = Gauge(
    "orders_outbox_oldest_seconds",
    "Age of the oldest timeline entry a sink has yet to receive.",
    ["sink"],
)
PARKED_NOW = Gauge(
    "orders_outbox_parked_deliveries", "Parked deliveries waiting for an operator.", ["sink"]
)
GAUGE_REFRESH_SECONDS = 5.0
LAG = Histogram(
    "orders_outbox_lag_seconds",
    "From the transaction that wrote a timeline entry to its delivery.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)


class Sink(Protocol):
    async def deliver(self, entry: PendingEntry) -> None:
        """Hands the entry on; raises to have it retried later."""


@runtime_checkable
class ReadsAhead(Protocol):
    """A sink that reads what a batch's deliveries need at once (the customer's email:
    one statement for the batch's notices instead of one per email)."""

    async def read_ahead(self, entries: Sequence[PendingEntry]) -> None: ...


def retry_delay(attempts: int) -> float:
    """1 s, 2 s, 4 s, ... up to five minutes between tries of one entry."""
    return float(min(2**attempts, 300))


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        sinks: Mapping[str, Sink],
        *,
        batch_size: int = 200,
        concurrency: int = 16,
        linger_seconds: float = 0.05,
        round_seconds: float = 0.25,
        poll_seconds: float = 2.0,
        max_attempts: int = 20,
    ) -> None:
        # Each of the relay's statements is a transaction of its own (a move of new
        # entries, a read of due rows, a delete of delivered ones): no `BEGIN` and
        # `COMMIT` round trips around them.
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._sinks = sinks
        self._batch_size = batch_size
        self._concurrency = concurrency
        # After a wake-up, wait this long for more entries, so a busy stack delivers in
        # batches rather than one query per commit; and start a round no sooner than
        # `round_seconds` after the last began: under load each round's statements
        # then carry a round's worth of entries, while on a quiet stack an entry that
        # comes alone still goes after `linger_seconds`.
        self._linger = linger_seconds
        self._round = round_seconds
        self._poll = poll_seconds
        self._max_attempts = max_attempts  # then a row is parked for an operator
        self._gauges_read_at: dict[str, float] = {}
        self.active = False

    async def run(self, stop: asyncio.Event) -> None:
        """Delivers while this relay holds the lock, stands by while another does,
        and reconnects after the database went away, until `stop` is set."""
        while not stop.is_set():
            try:
                async with self._engine.connect() as connection:
                    if await outbox.take_relay_lock(connection):
                        try:
                            await self._serve(connection, stop)
                        finally:
                            # Closing the session is what gives up the lock and the
                            # LISTEN; back in the pool, the connection would keep both.
                            await connection.invalidate()
            except (OSError, SQLAlchemyError) as error:
                log.warning("outbox relay lost its database connection: %s", error)
            except Exception:
                log.exception("outbox relay failed; starting over")
            finally:
                self.active = False
            await _first_of(stop, timeout=self._poll)

    async def _serve(self, connection: AsyncConnection, stop: asyncio.Event) -> None:
        """Moves new entries to each sink's rows on the lock's connection; each sink
        delivers on its own task and connections, so a slow or failing one holds back
        none of the others."""
        wake = asyncio.Event()
        await outbox.listen(connection, wake.set)
        self.active = True
        log.info("outbox relay active for %s", ", ".join(self._sinks))
        due_now = {name: asyncio.Event() for name in self._sinks}
        loops = [asyncio.create_task(self._sink_loop(name, due_now[name])) for name in due_now]
        clock = asyncio.get_running_loop()
        try:
            while not stop.is_set():
                wake.clear()
                began = clock.time()
                moved = await outbox.fan_out(connection, list(self._sinks), self._batch_size)
                for ready in due_now.values():
                    ready.set()  # new rows, retries come due, or rows an operator unparked
                if moved == self._batch_size:
                    continue  # more are waiting
                if await _first_of(stop, wake, timeout=self._poll) is wake:
                    await asyncio.sleep(max(self._linger, began + self._round - clock.time()))
        finally:
            for loop in loops:
                loop.cancel()
            await asyncio.gather(*loops, return_exceptions=True)

    async def _sink_loop(self, sink: str, due_now: asyncio.Event) -> None:
        while True:
            await due_now.wait()
            due_now.clear()
            try:
                async with self._engine.connect() as connection:
                    while await self.deliver_due(connection, sink) == self._batch_size:
                        pass  # more are waiting
            except (OSError, SQLAlchemyError) as error:
                log.warning("outbox sink %s lost its database connection: %s", sink, error)

    async def deliver_due(self, connection: AsyncConnection, sink: str) -> int:
        """Hands one batch of this sink's due rows on: orders side by side, each order's
        entries in turn. Returns how many rows were due."""
        entries = await outbox.due(connection, sink, self._batch_size)
        receiver = self._sinks[sink]
        if entries and isinstance(receiver, ReadsAhead):
            await receiver.read_ahead(entries)
        by_order: dict[str, list[PendingEntry]] = {}
        for entry in entries:
            by_order.setdefault(entry.order_id, []).append(entry)
        slots = asyncio.Semaphore(self._concurrency)
        outcomes = await asyncio.gather(
            *(self._deliver_in_turn(sink, order, slots) for order in by_order.values())
        )
        done = [entry.id for delivered, _ in outcomes for entry in delivered]
        if done:
            await outbox.delivered(connection, sink, done)
        for _, failure in outcomes:
            if failure is None:
                continue
            entry, error = failure
            if entry.attempts + 1 >= self._max_attempts:
                log.error(
                    "parked %s %d of order %s for %s: %s",
                    entry.type,
                    entry.id,
                    entry.order_id,
                    sink,
                    error,
                )
                PARKED.labels(sink).inc()
                await outbox.park(connection, sink, entry.id, error)
            else:
                delay = retry_delay(entry.attempts)
                await outbox.retry_later(connection, sink, entry.id, error, delay)
        await self._refresh_gauges(connection, sink)
        return len(entries)

    async def _deliver_in_turn(
        self, sink: str, entries: list[PendingEntry], slots: asyncio.Semaphore
    ) -> tuple[list[PendingEntry], tuple[PendingEntry, str] | None]:
        """One order's entries, oldest first; the first failure holds back the rest."""
        delivered: list[PendingEntry] = []
        async with slots:
            for entry in entries:
                try:
                    await self._sinks[sink].deliver(entry)
                except Exception as error:  # any failure: retried with backoff, then parked
                    log.warning(
                        "could not hand %s %d of order %s to %s (attempt %d): %s",
                        entry.type,
                        entry.id,
                        entry.order_id,
                        sink,
                        entry.attempts + 1,
                        error,
                    )
                    RETRIED.labels(sink, entry.type).inc()
                    return delivered, (entry, f"{type(error).__name__}: {error}")
                DELIVERED.labels(sink, entry.type).inc()
                LAG.observe((datetime.now(UTC) - entry.at).total_seconds())
                delivered.append(entry)
        return delivered, None

    async def _refresh_gauges(self, connection: AsyncConnection, sink: str) -> None:
        """The sink's backlog for the gauges, at most every few seconds: it counts rows."""
        now = time.monotonic()
        if now - self._gauges_read_at.get(sink, float("-inf")) < GAUGE_REFRESH_SECONDS:
            return
        self._gauges_read_at[sink] = now
        backlog = await outbox.backlog(connection, sink)
        PENDING.labels(sink).set(backlog.pending)
        OLDEST.labels(sink).set(backlog.oldest_seconds)
        PARKED_NOW.labels(sink).set(backlog.parked)


async def _first_of(*events: asyncio.Event, timeout: float) -> asyncio.Event | None:
    """Waits until one of the events is set, or the timeout passes (None)."""
    waits = {asyncio.ensure_future(event.wait()): event for event in events}
    done, pending = await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return waits[next(iter(done))] if done else None
