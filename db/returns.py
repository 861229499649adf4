"""Returns (domain/returns.py): loaded and saved whole, their items as JSON."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import RefundRow, ReturnRow
from domain.returns import (
    ClaimReason,
    Disposition,
    Exchange,
    ExchangeLine,
    ExchangeStatus,
    Return,
    ReturnItem,
    ReturnReason,
    ReturnStatus,
    Source,
)


class ReturnRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._rows: dict[str, ReturnRow] = {}

    def add(self, rma: Return) -> None:
        row = ReturnRow(
            id=rma.id,
            order_id=rma.order_id,
            customer_id=rma.customer_id,
            currency=rma.currency,
            expires_at=rma.expires_at,
            requested_by=rma.requested_by,
            idempotency_key=rma.idempotency_key,
            fingerprint=rma.fingerprint,
        )
        _copy(rma, row)
        self._session.add(row)
        self._rows[rma.id] = row

    async def get(self, return_id: str, *, lock: bool = True) -> Return | None:
        query = select(ReturnRow).where(ReturnRow.id == return_id)
        row = await self._session.scalar(query.with_for_update() if lock else query)
        if row is None:
            return None
        self._rows[row.id] = row
        return (await self._with_refunds([row]))[0]

    async def of_order(self, order_id: str) -> list[Return]:
        """Oldest first; whoever adds one holds the order's lock."""
        rows = await self._session.scalars(
            select(ReturnRow).where(ReturnRow.order_id == order_id).order_by(ReturnRow.created_at)
        )
        return await self._with_refunds(list(rows))

    async def of_refund(self, refund_id: str) -> Return | None:
        """The return this refund pays back, locked (the order's lock held first)."""
        row = await self._session.scalar(
            select(ReturnRow).where(ReturnRow.refund_id == refund_id).with_for_update()
        )
        if row is None:
            return None
        self._rows[row.id] = row
        return _to_domain(row)

    async def with_label(self, tracking_number: str) -> Return | None:
        row = await self._session.scalar(
            select(ReturnRow).where(ReturnRow.label_tracking_number == tracking_number)
        )
        return None if row is None else _to_domain(row)

    async def page(
        self,
        *,
        status: ReturnStatus | None,
        order_id: str | None,
        customer_id: str | None,
        after: tuple[Any, str] | None,
        limit: int,
    ) -> list[Return]:
        """Newest first; `after` is the (created_at, id) of the last one seen."""
        query = select(ReturnRow).order_by(ReturnRow.created_at.desc(), ReturnRow.id.desc())
        if status is not None:
            query = query.where(ReturnRow.status == status.value)
        if order_id is not None:
            query = query.where(ReturnRow.order_id == order_id)
        if customer_id is not None:
            query = query.where(ReturnRow.customer_id == customer_id)
        if after is not None:
            created_at, return_id = after
            query = query.where(
                (ReturnRow.created_at < created_at)
                | ((ReturnRow.created_at == created_at) & (ReturnRow.id < return_id))
            )
        return await self._with_refunds(list(await self._session.scalars(query.limit(limit))))

    async def _with_refunds(self, rows: list[ReturnRow]) -> list[Return]:
        """The returns with the status of their refunds, in one more query."""
        refund_ids = [row.refund_id for row in rows if row.refund_id is not None]
        statuses: dict[str, str] = {}
        if refund_ids:
            found = await self._session.execute(
                select(RefundRow.id, RefundRow.status).where(RefundRow.id.in_(refund_ids))
            )
            statuses = {row.id: row.status for row in found}
        return [_to_domain(row, statuses.get(row.refund_id or "")) for row in rows]

    async def save(self, rma: Return) -> None:
        _copy(rma, self._rows[rma.id])
        await self._session.flush()


def _copy(rma: Return, row: ReturnRow) -> None:
    row.status = rma.status.value
    row.items = [item_json(item) for item in rma.items]
    row.refund_id = rma.refund_id
    row.refund_amount = rma.refund_amount
    row.label_carrier = rma.label_carrier
    row.label_tracking_number = rma.label_tracking_number
    row.label_shipment_id = rma.label_shipment_id
    row.exchange = None if rma.exchange is None else _exchange_json(rma.exchange)


def _exchange_json(exchange: Exchange) -> dict[str, Any]:
    return {
        "items": [asdict(line) for line in exchange.items],
        "difference": exchange.difference,
        "status": exchange.status.value,
        "shipment_number": exchange.shipment_number,
        "authorization_id": exchange.authorization_id,
    }


def _exchange_of(stored: dict[str, Any] | None) -> Exchange | None:
    if stored is None:
        return None
    return Exchange(
        items=[ExchangeLine(**line) for line in stored["items"]],
        difference=int(stored["difference"]),
        status=ExchangeStatus(stored["status"]),
        shipment_number=stored.get("shipment_number"),
        authorization_id=stored.get("authorization_id"),
    )


def item_json(item: ReturnItem) -> dict[str, Any]:
    found = item.received
    return {
        "sku": item.sku,
        "quantity": item.quantity,
        "reason": item.reason.value,
        "note": item.note,
        "unit_price": item.unit_price,
        "sources": [{"location_id": s.location_id, "quantity": s.quantity} for s in item.sources],
        "received": None
        if found is None
        else {"restock": found.restock, "damaged": found.damaged, "missing": found.missing},
    }


def _to_domain(row: ReturnRow, refund_status: str | None = None) -> Return:
    return Return(
        id=row.id,
        order_id=row.order_id,
        customer_id=row.customer_id,
        currency=row.currency,
        items=[item_of(item, ReturnReason) for item in row.items],
        status=ReturnStatus(row.status),
        expires_at=row.expires_at,
        requested_by=row.requested_by,
        idempotency_key=row.idempotency_key,
        fingerprint=row.fingerprint,
        refund_id=row.refund_id,
        refund_amount=row.refund_amount,
        refund_status=refund_status,
        label_carrier=row.label_carrier,
        label_tracking_number=row.label_tracking_number,
        label_shipment_id=row.label_shipment_id,
        exchange=_exchange_of(row.exchange),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def item_of(item: dict[str, Any], reasons: type[ReturnReason] | type[ClaimReason]) -> ReturnItem:
    return ReturnItem(
        sku=item["sku"],
        quantity=int(item["quantity"]),
        reason=reasons(item["reason"]),
        unit_price=int(item["unit_price"]),
        sources=tuple(Source(s["location_id"], int(s["quantity"])) for s in item["sources"]),
        note=item.get("note"),
        received=None if item.get("received") is None else Disposition(**item["received"]),
    )
