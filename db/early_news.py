"""Carrier news that comes before its parcel's booking is recorded.

A carrier can report on a parcel as soon as it has booked it, before our booking's
transaction has recorded the tracking number. For an order that keeps such news
(`orders.keeps_early_news`), the webhook leaves it here while the order awaits its
bookings, and the booking takes it in the transaction that records the parcel; the
last booking takes whatever is left. Both hold the order's row while they look, so
news is either left before a booking takes it, or finds the order shipped and goes
where news of a shipped order goes; never neither.
"""

from __future__ import annotations

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import EarlyCarrierNewsRow, OrderRow, table_of
from domain.commands import TrackingEvent
from domain.order import OrderStatus

_ORDERS, _NEWS = table_of(OrderRow), table_of(EarlyCarrierNewsRow)

_LOCK_ORDER = (
    select(_ORDERS.c.keeps_early_news, _ORDERS.c.status)
    .where(_ORDERS.c.id == bindparam("order_id"))
    .with_for_update()
)
_LEAVE = insert(_NEWS)
_TAKEN = (_NEWS.c.id, _NEWS.c.event, _NEWS.c.occurred_at, _NEWS.c.tracking_number)
_TAKE_ALL = delete(_NEWS).where(_NEWS.c.order_id == bindparam("order_id")).returning(*_TAKEN)
_TAKE = _TAKE_ALL.where(_NEWS.c.tracking_number == bindparam("tracking_number"))


class EarlyNewsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def leave(
        self, order_id: str, tracking_number: str, event: str, occurred_at: str
    ) -> bool:
        """Leaves the news for the order's bookings; False when the order has no place
        for it (its workflow hears of it by signal) or is booked by now. Takes the
        order's row until commit."""
        row = (await self._session.execute(_LOCK_ORDER, {"order_id": order_id})).first()
        if row is None or not row.keeps_early_news:
            return False
        if not OrderStatus(row.status).awaits_booking:
            return False
        await self._session.execute(
            _LEAVE,
            {
                "order_id": order_id,
                "tracking_number": tracking_number,
                "event": event,
                "occurred_at": occurred_at,
            },
        )
        return True

    async def take(self, order_id: str, tracking_number: str | None) -> list[TrackingEvent]:
        """The news left for this parcel (None: for any), in the order it came, gone
        from here; the caller holds the order's row."""
        if tracking_number is None:
            rows = await self._session.execute(_TAKE_ALL, {"order_id": order_id})
        else:
            rows = await self._session.execute(
                _TAKE, {"order_id": order_id, "tracking_number": tracking_number}
            )
        return [
            TrackingEvent(event, occurred_at, number)
            for _, event, occurred_at, number in sorted(rows.all())
        ]
