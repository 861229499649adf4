"""The outbox: timeline entries waiting to be handed on, oldest first.

`db/orders.py` writes an outbox row with every new timeline entry, in the same
transaction; the relay (`outbox/relay.py`) reads the rows that are due, delivers them
and deletes them. A row whose delivery failed waits for its retry time and holds back
the later rows of its order, so each order's entries go out in timeline order.
"""

from __future__ import annotations

from collections.abc import Callable
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


_DUE = text(
    """
    SELECT o.event_id, o.order_id, e.type, e.data, e.at, o.attempts
    FROM order_outbox o JOIN order_events e ON e.id = o.event_id
    WHERE o.next_attempt_at <= now()
      AND NOT EXISTS (
        SELECT 1 FROM order_outbox waiting
        WHERE waiting.order_id = o.order_id
          AND waiting.event_id < o.event_id
          AND waiting.next_attempt_at > now()
      )
    ORDER BY o.event_id
    LIMIT :limit
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


async def due(connection: AsyncConnection, limit: int) -> list[PendingEntry]:
    rows = (await connection.execute(_DUE, {"limit": limit})).all()
    await connection.commit()  # no transaction stays open while entries are delivered
    return [PendingEntry(*row) for row in rows]


async def delivered(connection: AsyncConnection, event_ids: list[int]) -> None:
    await connection.execute(
        text("DELETE FROM order_outbox WHERE event_id = ANY(:ids)"), {"ids": event_ids}
    )
    await connection.commit()


async def retry_later(
    connection: AsyncConnection, event_id: int, error: str, delay_seconds: float
) -> None:
    await connection.execute(
        text(
            "UPDATE order_outbox SET attempts = attempts + 1, last_error = :error, "
            "next_attempt_at = now() + make_interval(secs => :delay) WHERE event_id = :id"
        ),
        {"id": event_id, "error": error[:2000], "delay": delay_seconds},
    )
    await connection.commit()


async def pending(connection: AsyncConnection) -> int:
    """How many entries wait to be handed on (a gauge for operators)."""
    count = await connection.scalar(text("SELECT count(*) FROM order_outbox"))
    await connection.commit()
    return int(count or 0)
