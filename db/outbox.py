"""The outbox: timeline entries waiting to be handed on, each sink on its own.

`db/orders.py` writes an `order_outbox` row with every new timeline entry, in the same
transaction. The relay (`outbox/relay.py`) moves each such row into one
`outbox_deliveries` row per sink it serves, then each sink delivers its own rows and
deletes them. A failed row waits for its retry time and holds back the later rows of
its order for that sink only, so each order's entries reach each sink in timeline
order and a failing sink stalls no other. A row that failed too often is parked: it
holds nothing back and waits for an operator to retry or drop it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

CHANNEL = "order_outbox"  # notified by a trigger when rows are added (migration 0005)
# One relay per database delivers at a time: it holds this session-level advisory lock.
RELAY_LOCK = 0x6F757462  # "outb"


@dataclass(frozen=True)
class PendingEntry:
    """A timeline entry to hand on. `id` is the entry's id: consumers dedupe on it."""

    id: int
    order_id: str
    type: str
    data: dict[str, Any]
    at: datetime
    attempts: int


@dataclass(frozen=True)
class ParkedDelivery:
    """An entry one sink gave up on, for an operator to retry or drop."""

    event_id: int
    sink: str
    order_id: str
    type: str
    attempts: int
    last_error: str | None
    parked_at: datetime


@dataclass(frozen=True)
class SinkBacklog:
    pending: int  # rows waiting, parked ones aside
    oldest_seconds: float  # age of the oldest waiting entry, 0 when none
    parked: int


_FAN_OUT = text(
    """
    WITH moved AS (
        DELETE FROM order_outbox
        WHERE event_id IN (
            SELECT event_id FROM order_outbox ORDER BY event_id LIMIT :limit
            FOR UPDATE SKIP LOCKED
        )
        RETURNING event_id, order_id
    ), copied AS (
        INSERT INTO outbox_deliveries (event_id, sink, order_id)
        SELECT moved.event_id, sinks.sink, moved.order_id
        FROM moved CROSS JOIN unnest(CAST(:sinks AS varchar[])) AS sinks(sink)
        ON CONFLICT DO NOTHING
    )
    SELECT count(*) FROM moved
    """
)

_DUE = text(
    """
    SELECT d.event_id, d.order_id, e.type, e.data, e.at, d.attempts
    FROM outbox_deliveries d JOIN order_events e ON e.id = d.event_id
    WHERE d.sink = :sink AND d.parked_at IS NULL AND d.next_attempt_at <= now()
      AND NOT EXISTS (
        SELECT 1 FROM outbox_deliveries waiting
        WHERE waiting.sink = d.sink
          AND waiting.order_id = d.order_id
          AND waiting.event_id < d.event_id
          AND waiting.parked_at IS NULL
          AND waiting.next_attempt_at > now()
      )
    ORDER BY d.event_id
    LIMIT :limit
    """
)

_BACKLOG = text(
    """
    SELECT count(*) FILTER (WHERE d.parked_at IS NULL),
           coalesce(extract(epoch FROM now() - min(e.at) FILTER (WHERE d.parked_at IS NULL)), 0),
           count(*) FILTER (WHERE d.parked_at IS NOT NULL)
    FROM outbox_deliveries d JOIN order_events e ON e.id = d.event_id
    WHERE d.sink = :sink
    """
)


async def take_relay_lock(connection: AsyncConnection) -> bool:
    """Whether this connection is now the one relay; the lock lasts as long as it does."""
    taken = await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": RELAY_LOCK})
    await connection.commit()
    return bool(taken)


async def listen(connection: AsyncConnection, wake: Callable[[], None]) -> None:
    """Calls `wake` whenever a transaction that added outbox rows commits."""
    raw = await connection.get_raw_connection()
    await raw.driver_connection.add_listener(CHANNEL, lambda *_: wake())  # type: ignore[union-attr]


async def fan_out(connection: AsyncConnection, sinks: Sequence[str], limit: int) -> int:
    """Moves up to `limit` new entries into a delivery row per sink; returns how many."""
    moved = await connection.scalar(_FAN_OUT, {"sinks": list(sinks), "limit": limit})
    await connection.commit()
    return int(moved or 0)


async def due(connection: AsyncConnection, sink: str, limit: int) -> list[PendingEntry]:
    rows = (await connection.execute(_DUE, {"sink": sink, "limit": limit})).all()
    await connection.commit()  # no transaction stays open while entries are delivered
    return [PendingEntry(*row) for row in rows]


async def delivered(connection: AsyncConnection, sink: str, event_ids: list[int]) -> None:
    await connection.execute(
        text("DELETE FROM outbox_deliveries WHERE sink = :sink AND event_id = ANY(:ids)"),
        {"sink": sink, "ids": event_ids},
    )
    await connection.commit()


async def retry_later(
    connection: AsyncConnection, sink: str, event_id: int, error: str, delay_seconds: float
) -> None:
    await connection.execute(
        text(
            "UPDATE outbox_deliveries SET attempts = attempts + 1, last_error = :error, "
            "next_attempt_at = now() + make_interval(secs => :delay) "
            "WHERE sink = :sink AND event_id = :id"
        ),
        {"sink": sink, "id": event_id, "error": error[:2000], "delay": delay_seconds},
    )
    await connection.commit()


async def park(connection: AsyncConnection, sink: str, event_id: int, error: str) -> None:
    await connection.execute(
        text(
            "UPDATE outbox_deliveries SET attempts = attempts + 1, last_error = :error, "
            "parked_at = now() WHERE sink = :sink AND event_id = :id"
        ),
        {"sink": sink, "id": event_id, "error": error[:2000]},
    )
    await connection.commit()


async def backlog(connection: AsyncConnection, sink: str) -> SinkBacklog:
    pending_, oldest, parked_ = (await connection.execute(_BACKLOG, {"sink": sink})).one()
    await connection.commit()
    return SinkBacklog(int(pending_), float(oldest), int(parked_))


async def pending(connection: AsyncConnection) -> int:
    """How many deliveries wait, new entries counted once per entry, parked ones aside."""
    count = await connection.scalar(
        text(
            "SELECT (SELECT count(*) FROM order_outbox) + "
            "(SELECT count(*) FROM outbox_deliveries WHERE parked_at IS NULL)"
        )
    )
    await connection.commit()
    return int(count or 0)


# -- what operators do with parked rows (orders-admin outbox) ------------------------


async def parked(connection: AsyncConnection, sink: str | None, limit: int) -> list[ParkedDelivery]:
    rows = await connection.execute(
        text(
            "SELECT d.event_id, d.sink, d.order_id, e.type, d.attempts, d.last_error, "
            "d.parked_at FROM outbox_deliveries d JOIN order_events e ON e.id = d.event_id "
            "WHERE d.parked_at IS NOT NULL AND (CAST(:sink AS varchar) IS NULL OR d.sink = :sink) "
            "ORDER BY d.event_id LIMIT :limit"
        ),
        {"sink": sink, "limit": limit},
    )
    await connection.commit()
    return [ParkedDelivery(*row) for row in rows]


async def unpark(connection: AsyncConnection, event_ids: list[int], sink: str | None) -> int:
    """Puts parked rows back in line with fresh attempts; wakes the relay."""
    result = await connection.execute(
        text(
            "UPDATE outbox_deliveries SET parked_at = NULL, attempts = 0, "
            "next_attempt_at = now() WHERE parked_at IS NOT NULL AND event_id = ANY(:ids) "
            "AND (CAST(:sink AS varchar) IS NULL OR sink = :sink)"
        ),
        {"ids": event_ids, "sink": sink},
    )
    await connection.execute(text(f"NOTIFY {CHANNEL}"))
    await connection.commit()
    return int(result.rowcount)


async def drop_parked(connection: AsyncConnection, event_ids: list[int], sink: str | None) -> int:
    """Gives up on parked rows for good: the sink never receives those entries."""
    result = await connection.execute(
        text(
            "DELETE FROM outbox_deliveries WHERE parked_at IS NOT NULL AND event_id = ANY(:ids) "
            "AND (CAST(:sink AS varchar) IS NULL OR sink = :sink)"
        ),
        {"ids": event_ids, "sink": sink},
    )
    await connection.commit()
    return int(result.rowcount)
