"""The outbox relay: hands every new timeline entry to its sinks, oldest first.

Why a relay and not a step of the saga: each Temporal activity costs the order three
history events and a task-queue round trip, and a notice is nothing the saga decides
on. The entry and its outbox row commit together (`db/orders.py`), so nothing is lost
between the two; the relay delivers at least once, and a sink that must not act twice
dedupes on the entry's id (the email provider on its idempotency key).

One relay per database delivers at a time (an advisory lock); every worker process
runs one, and the others stand by to take over. It wakes on PostgreSQL's NOTIFY from
the outbox trigger, and polls for retries coming due.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from prometheus_client import Counter, Histogram
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db import outbox
from db.outbox import PendingEntry

log = logging.getLogger("orders.events.relay")

DELIVERED = Counter(
    "orders_outbox_delivered_total", "Timeline entries handed on by the relay, by type.", ["type"]
)
RETRIED = Counter(
    "orders_outbox_retries_total", "Deliveries that failed and wait for a retry, by type.", ["type"]
)
LAG = Histogram(
    "orders_outbox_lag_seconds",
    "From the transaction that wrote a timeline entry to its delivery.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)


class Sink(Protocol):
    async def deliver(self, entry: PendingEntry) -> None:
        """Hands the entry on; raises to have it retried later."""


def retry_delay(attempts: int) -> float:
    """1 s, 2 s, 4 s, ... up to five minutes between tries of one entry."""
    return float(min(2**attempts, 300))


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        sinks: Sequence[Sink],
        *,
        batch_size: int = 200,
        concurrency: int = 16,
        linger_seconds: float = 0.05,
        poll_seconds: float = 2.0,
    ) -> None:
        self._engine = engine
        self._sinks = sinks
        self._batch_size = batch_size
        self._slots = asyncio.Semaphore(concurrency)
        # After a wake-up, wait this long for more entries, so a busy stack delivers in
        # batches rather than one query per commit.
        self._linger = linger_seconds
        self._poll = poll_seconds
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
        wake = asyncio.Event()
        await outbox.listen(connection, wake.set)
        self.active = True
        log.info("outbox relay active")
        while not stop.is_set():
            wake.clear()
            if await self.deliver_due(connection) == self._batch_size:
                continue  # more are waiting
            if await _first_of(stop, wake, timeout=self._poll) is wake:
                await asyncio.sleep(self._linger)

    async def deliver_due(self, connection: AsyncConnection) -> int:
        """Delivers one batch of due entries: orders side by side, each order's entries
        in turn. Returns how many entries were due."""
        entries = await outbox.due(connection, self._batch_size)
        by_order: dict[str, list[PendingEntry]] = {}
        for entry in entries:
            by_order.setdefault(entry.order_id, []).append(entry)
        outcomes = await asyncio.gather(*(self._deliver_in_turn(e) for e in by_order.values()))
        done = [entry.id for delivered, _ in outcomes for entry in delivered]
        if done:
            await outbox.delivered(connection, done)
        for _, failure in outcomes:
            if failure is not None:
                entry, error = failure
                await outbox.retry_later(connection, entry.id, error, retry_delay(entry.attempts))
        return len(entries)

    async def _deliver_in_turn(
        self, entries: list[PendingEntry]
    ) -> tuple[list[PendingEntry], tuple[PendingEntry, str] | None]:
        """One order's entries, oldest first; the first failure holds back the rest."""
        delivered: list[PendingEntry] = []
        async with self._slots:
            for entry in entries:
                try:
                    for sink in self._sinks:
                        await sink.deliver(entry)
                except Exception as error:  # any sink failure: retried with backoff
                    log.warning(
                        "could not hand on %s %d of order %s (attempt %d): %s",
                        entry.type,
                        entry.id,
                        entry.order_id,
                        entry.attempts + 1,
                        error,
                    )
                    RETRIED.labels(entry.type).inc()
                    return delivered, (entry, f"{type(error).__name__}: {error}")
                DELIVERED.labels(entry.type).inc()
                LAG.observe((datetime.now(UTC) - entry.at).total_seconds())
                delivered.append(entry)
        return delivered, None


async def _first_of(*events: asyncio.Event, timeout: float) -> asyncio.Event | None:
    """Waits until one of the events is set, or the timeout passes (None)."""
    waits = {asyncio.ensure_future(event.wait()): event for event in events}
    done, pending = await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return waits[next(iter(done))] if done else None
