"""The refunds ledger (domain/refunds.py)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import RefundRow, ShipmentRow
from domain.refunds import Refund, RefundReason, RefundStatus


class RefundRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._rows: dict[str, RefundRow] = {}

    def add(self, refund: Refund) -> None:
        row = RefundRow(
            id=refund.id,
            order_id=refund.order_id,
            amount=refund.amount,
            currency=refund.currency,
            reason=refund.reason.value,
            note=refund.note,
            requested_by=refund.requested_by,
            idempotency_key=refund.idempotency_key,
            fingerprint=refund.fingerprint,
        )
        _copy(refund, row)
        self._session.add(row)
        self._rows[refund.id] = row

    async def get(self, refund_id: str, *, lock: bool = True) -> Refund | None:
        query = select(RefundRow).where(RefundRow.id == refund_id)
        row = await self._session.scalar(query.with_for_update() if lock else query)
        if row is None:
            return None
        self._rows[row.id] = row
        return _to_domain(row)

    async def of_order(self, order_id: str) -> list[Refund]:
        """Oldest first (the caller holds the order's lock when it adds one)."""
        rows = await self._session.scalars(
            select(RefundRow).where(RefundRow.order_id == order_id).order_by(RefundRow.created_at)
        )
        return [_to_domain(row) for row in rows]

    async def page(
        self, *, status: RefundStatus | None, order_id: str | None, limit: int
    ) -> list[Refund]:
        query = select(RefundRow).order_by(RefundRow.created_at.desc()).limit(limit)
        if status is not None:
            query = query.where(RefundRow.status == status.value)
        if order_id is not None:
            query = query.where(RefundRow.order_id == order_id)
        return [_to_domain(row) for row in await self._session.scalars(query)]

    async def captured(self, order_id: str) -> int:
        """What was captured for the order: its parcels' parts."""
        total = await self._session.scalar(
            select(func.sum(ShipmentRow.captured_amount)).where(ShipmentRow.order_id == order_id)
        )
        return int(total or 0)

    async def save(self, refund: Refund) -> None:
        _copy(refund, self._rows[refund.id])
        await self._session.flush()


def _copy(refund: Refund, row: RefundRow) -> None:
    row.status = refund.status.value
    row.provider_refund_id = refund.provider_refund_id
    row.failure = refund.failure


def _to_domain(row: RefundRow) -> Refund:
    return Refund(
        id=row.id,
        order_id=row.order_id,
        amount=row.amount,
        currency=row.currency,
        reason=RefundReason(row.reason),
        requested_by=row.requested_by,
        idempotency_key=row.idempotency_key,
        fingerprint=row.fingerprint,
        note=row.note,
        status=RefundStatus(row.status),
        provider_refund_id=row.provider_refund_id,
        failure=row.failure,
        created_at=row.created_at,
    )
