"""Deliveries of the outbox an operator steers: the ones a sink gave up on after its
last attempt (parked), listed, put back in line or dropped. `orders-admin outbox`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from db import outbox
from db.outbox import ParkedDelivery


class ParkedDeliveries:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def waiting(self, *, sink: str | None = None, limit: int = 100) -> list[ParkedDelivery]:
        """Oldest entry first."""
        async with self._engine.connect() as connection:
            return await outbox.parked(connection, sink, limit)

    async def retry(self, event_ids: list[int], *, sink: str | None = None) -> int:
        """Puts them back in line with fresh attempts; returns how many were parked."""
        async with self._engine.connect() as connection:
            return await outbox.unpark(connection, event_ids, sink)

    async def drop(self, event_ids: list[int], *, sink: str | None = None) -> int:
        """Gives up on them for good: the sink never receives those entries."""
        async with self._engine.connect() as connection:
            return await outbox.drop_parked(connection, event_ids, sink)
