"""Server-Sent Events of one order's timeline: what `GET /v1/orders/{id}/events/stream`
sends. The timeline so far (after `Last-Event-ID`), then each new entry as it is
committed, a comment line as heartbeat, and the end once the order is terminal."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from domain.order_records import TimelineEntry
from services.orders import Orders


def frame(entry: TimelineEntry) -> str:
    data = {"id": entry.id, "type": entry.type, "at": entry.at.isoformat(), "data": entry.data}
    return f"id: {entry.id}\nevent: {entry.type}\ndata: {json.dumps(data)}\n\n"


async def order_events(
    orders: Orders,
    order_id: str,
    *,
    after: int,
    poll_seconds: float,
    heartbeat_seconds: float,
) -> AsyncIterator[str]:
    """The frames of the stream, until the order has ended and its last entry is sent."""
    last_sent = after
    quiet_since = time.monotonic()
    yield f"retry: {int(poll_seconds * 1000)}\n\n"
    while True:
        entries, finished = await orders.entries_since(order_id, last_sent)
        for entry in entries:
            yield frame(entry)
            last_sent = entry.id
            quiet_since = time.monotonic()
        if finished:
            return
        if time.monotonic() - quiet_since >= heartbeat_seconds:
            yield ": still here\n\n"
            quiet_since = time.monotonic()
        await asyncio.sleep(poll_seconds)
