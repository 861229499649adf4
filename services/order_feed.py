"""Live timelines without polling: one LISTEN connection per API process wakes the
streams that follow an order when its timeline grows. An idle stream costs the
database nothing; a new entry costs each stream of its order one read.

If the connection is lost, every stream is woken once it is back (it reads what it
may have missed), and until then streams wait and send heartbeats.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from db import timeline_feed

log = logging.getLogger("orders.api.order_feed")


class OrderFeed:
    def __init__(self, engine: AsyncEngine, *, reconnect_seconds: float = 2.0) -> None:
        self._engine = engine
        self._reconnect = reconnect_seconds
        self._followers: dict[str, set[asyncio.Event]] = {}
        self._listening: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    def follow(self, order_id: str) -> asyncio.Event:
        """An event set whenever the order's timeline may have grown; clear it before
        reading, so that nothing committed after the read is missed."""
        woken = asyncio.Event()
        self._followers.setdefault(order_id, set()).add(woken)
        return woken

    def unfollow(self, order_id: str, woken: asyncio.Event) -> None:
        followers = self._followers.get(order_id)
        if followers is not None:
            followers.discard(woken)
            if not followers:
                del self._followers[order_id]

    @property
    def streams(self) -> int:
        return sum(len(followers) for followers in self._followers.values())

    def start(self) -> None:
        if self._listening is None:
            self._listening = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        if self._listening is not None:
            self._listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listening
            self._listening = None

    def _grew(self, order_id: str) -> None:
        for woken in self._followers.get(order_id, ()):
            woken.set()

    def _wake_all(self) -> None:
        for followers in self._followers.values():
            for woken in followers:
                woken.set()

    async def _listen(self) -> None:
        while True:
            lost = asyncio.Event()
            try:
                async with self._engine.connect() as connection:
                    try:
                        await timeline_feed.listen(connection, self._grew, lost.set)
                        self.connected.set()
                        self._wake_all()  # what was written while nobody listened
                        await lost.wait()
                    finally:
                        self.connected.clear()
                        # Back in the pool the connection would keep its LISTEN.
                        await connection.invalidate()
            except (OSError, SQLAlchemyError) as error:
                log.warning("order feed lost its database connection: %s", error)
            await asyncio.sleep(self._reconnect)
