"""Server-Sent Events of one order's timeline: what `GET /v1/orders/{id}/events/stream`
sends. The timeline so far (after `Last-Event-ID`), then each new entry as it is
committed, a comment line as heartbeat, and the end once the order is terminal or the
stream has lived its lifetime (the client then resumes with `Last-Event-ID`).

The stream reads the database only when the order's timeline grew (services/
order_feed.py wakes it), not on a timer: an idle stream costs no query.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from domain.order_records import TimelineEntry
from services.order_feed import OrderFeed
from services.orders import Orders


@dataclass(frozen=True)
class StreamTimes:
    retry_seconds: float  # how soon the client reconnects once the stream ends
    heartbeat_seconds: float
    lifetime_seconds: float


def frame(entry: TimelineEntry) -> str:
    data = {"id": entry.id, "type": entry.type, "at": entry.at.isoformat(), "data": entry.data}
    return f"id: {entry.id}\nevent: {entry.type}\ndata: {json.dumps(data)}\n\n"


async def order_events(
    orders: Orders,
    feed: OrderFeed,
    order_id: str,
    *,
    after: int,
    times: StreamTimes,
    alive: Callable[[], Awaitable[None]],
    closed: Callable[[], Awaitable[None]],
) -> AsyncIterator[str]:
    """The frames of the stream. `alive` is called at each heartbeat (the stream still
    holds its slot), `closed` once it ends, however it ends."""
    woken = feed.follow(order_id)
    ends_at = time.monotonic() + times.lifetime_seconds
    try:
        last_sent = after
        yield f"retry: {int(times.retry_seconds * 1000)}\n\n"
        while True:
            woken.clear()  # before reading: a commit after the read wakes it again
            entries, finished = await orders.entries_since(order_id, last_sent)
            for entry in entries:
                yield frame(entry)
                last_sent = entry.id
            if finished:
                return
            # Quiet until the order's timeline grows: heartbeats only, no reads.
            while not woken.is_set():
                left = ends_at - time.monotonic()
                if left <= 0:
                    yield ": lifetime reached; reconnect with Last-Event-ID\n\n"
                    return
                try:
                    await asyncio.wait_for(woken.wait(), min(times.heartbeat_seconds, left))
                except TimeoutError:
                    if ends_at - time.monotonic() > 0:
                        yield ": still here\n\n"
                        await alive()
    finally:
        feed.unfollow(order_id, woken)
        await closed()
