"""Claims (domain/claims.py), their items stored as a return's are."""

from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.returns import item_json, item_of
from db.tables import ClaimRow, ShipmentRow
from domain.claims import Claim, ClaimStatus, ClaimType
from domain.returns import ClaimReason


class ClaimRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._rows: dict[str, ClaimRow] = {}

    def add(self, claim: Claim) -> None:
        row = ClaimRow(
            id=claim.id,
            order_id=claim.order_id,
            customer_id=claim.customer_id,
            currency=claim.currency,
            type=claim.type.value,
            items=[item_json(item) for item in claim.items],
            requested_by=claim.requested_by,
            idempotency_key=claim.idempotency_key,
            fingerprint=claim.fingerprint,
        )
        _copy(claim, row)
        self._session.add(row)
        self._rows[claim.id] = row

    async def get(self, claim_id: str, *, lock: bool = True) -> Claim | None:
        query = select(ClaimRow).where(ClaimRow.id == claim_id)
        return self._kept(await self._session.scalar(query.with_for_update() if lock else query))

    async def of_order(self, order_id: str) -> list[Claim]:
        """Oldest first; whoever adds one holds the order's lock."""
        rows = await self._session.scalars(
            select(ClaimRow).where(ClaimRow.order_id == order_id).order_by(ClaimRow.created_at)
        )
        return [_to_domain(row) for row in rows]

    async def of_refund(self, refund_id: str) -> Claim | None:
        """The claim this refund pays, locked (the order's lock held first)."""
        query = select(ClaimRow).where(ClaimRow.refund_id == refund_id).with_for_update()
        return self._kept(await self._session.scalar(query))

    async def shipped_as(self, tracking_number: str) -> Claim | None:
        """The replacement claim whose parcel has this tracking number."""
        query = select(ClaimRow).join(
            ShipmentRow,
            and_(
                ShipmentRow.order_id == ClaimRow.order_id,
                ShipmentRow.number == ClaimRow.shipment_number,
            ),
        )
        row = await self._session.scalar(
            query.where(ShipmentRow.tracking_number == tracking_number)
        )
        return None if row is None else _to_domain(row)

    async def save(self, claim: Claim) -> None:
        _copy(claim, self._rows[claim.id])
        await self._session.flush()

    def _kept(self, row: ClaimRow | None) -> Claim | None:
        if row is None:
            return None
        self._rows[row.id] = row
        return _to_domain(row)


def _copy(claim: Claim, row: ClaimRow) -> None:
    row.status = claim.status.value
    row.refund_id = claim.refund_id
    row.shipment_number = claim.shipment_number


def _to_domain(row: ClaimRow) -> Claim:
    return Claim(
        id=row.id,
        order_id=row.order_id,
        customer_id=row.customer_id,
        currency=row.currency,
        type=ClaimType(row.type),
        items=[item_of(item, ClaimReason) for item in row.items],
        requested_by=row.requested_by,
        idempotency_key=row.idempotency_key,
        fingerprint=row.fingerprint,
        status=ClaimStatus(row.status),
        refund_id=row.refund_id,
        shipment_number=row.shipment_number,
        created_at=row.created_at,
    )
