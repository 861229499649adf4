"""Order rows of the read model, shaped as the API's response bodies."""

from __future__ import annotations

from api.schemas.common import Money
from api.schemas.orders import LineOut, OrderOut, PaymentOut, ShipmentOut
from db.tables import OrderRow


def order_out(row: OrderRow) -> OrderOut:
    currency = row.currency
    return OrderOut(
        id=row.id,
        customer_id=row.customer_id,
        status=row.status,
        items=[
            LineOut(
                sku=line.sku,
                quantity=line.quantity,
                unit_price=Money(amount=line.unit_price_amount, currency=currency),
                line_total=Money(amount=line.unit_price_amount * line.quantity, currency=currency),
            )
            for line in row.lines
        ],
        total=Money(amount=row.total_amount, currency=currency),
        shipping_address={k: v for k, v in row.shipping_address.items() if v is not None},
        payment=PaymentOut(status=row.payment_status, authorization_id=row.authorization_id),
        shipment=(
            ShipmentOut(
                status=row.shipment_status,
                carrier=row.carrier,
                tracking_number=row.tracking_number,
            )
            if row.shipment_status
            else None
        ),
        failure_reason=row.failure_reason,
        failed_compensations=list(row.failed_compensations or []),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
