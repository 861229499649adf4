"""Which orders' timelines grew: PostgreSQL notifies `order_timeline` with the order id
when a transaction that added entries commits (migration 0009)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncConnection

CHANNEL = "order_timeline"


async def listen(
    connection: AsyncConnection,
    grew: Callable[[str], None],
    lost: Callable[[], None],
) -> None:
    """Calls `grew(order_id)` for each notification on this connection, and `lost()`
    if the connection ends (notifications may have been missed)."""
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    await driver.add_listener(CHANNEL, lambda _c, _pid, _ch, order_id: grew(order_id))  # type: ignore[union-attr]
    driver.add_termination_listener(lambda _c: lost())  # type: ignore[union-attr]
