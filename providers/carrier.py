from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from domain.allocation import Location
from domain.commands import ShipmentCreated
from domain.errors import DestinationUnsupported, ShipmentDelivered
from domain.order import Order
from domain.shipments import ShipmentItem
from providers.http import ProviderHttp, find_by_reference, raise_for_status
from providers.metrics import provider_call


class CarrierClient:
    def __init__(self, http: ProviderHttp) -> None:
        self._http = http

    async def create_shipment(
        self,
        order: Order,
        idempotency_key: str,
        items: Sequence[ShipmentItem],
        origin: Location | None = None,
    ) -> ShipmentCreated:
        """Books a parcel of these items of the order, picked up at `origin` (None: the
        shop's one address)."""
        body: dict[str, Any] = {
            "reference": order.id,
            "destination": asdict(order.shipping_address),
            "items": [{"sku": item.sku, "quantity": item.quantity} for item in items],
        }
        if origin is not None:
            body["origin"] = {"location_id": origin.id, "country": origin.country}
        async with provider_call("carrier", "create_shipment"):
            response = await self._http.post(
                "/shipments",
                json=body,
                headers={"Idempotency-Key": idempotency_key},
            )
            if response.status_code == 422 and "destination" in response.text:
                raise DestinationUnsupported(
                    f"the carrier does not deliver to {order.shipping_address.country}"
                )
            raise_for_status(response)
        body = response.json()
        return ShipmentCreated(body["id"], body["carrier"], body["tracking_number"])

    async def create_return_label(
        self, return_id: str, idempotency_key: str, items: Sequence[ShipmentItem], to: Location
    ) -> ShipmentCreated:
        """A prepaid label for the customer's parcel back to the location `to`; the
        carrier tracks it like any parcel, under the return's id as its reference."""
        body = {
            "reference": return_id,
            "destination": {
                "name": f"Returns, {to.name}",
                "line1": f"Location {to.id}",
                "city": to.name,
                "postal_code": to.id,
                "country": to.country,
            },
            "items": [{"sku": item.sku, "quantity": item.quantity} for item in items],
        }
        async with provider_call("carrier", "create_return_label"):
            response = await self._http.post(
                "/shipments",
                json=body,
                headers={"Idempotency-Key": idempotency_key},
            )
            raise_for_status(response)
        created = response.json()
        return ShipmentCreated(created["id"], created["carrier"], created["tracking_number"])

    async def cancel_shipment(self, shipment_id: str) -> None:
        async with provider_call("carrier", "cancel_shipment"):
            response = await self._http.post(f"/shipments/{shipment_id}/cancel")
            if response.status_code == 409 and "already_delivered" in response.text:
                raise ShipmentDelivered(f"shipment {shipment_id} was delivered already")
            raise_for_status(response)

    async def shipments_for(self, order_id: str) -> list[dict[str, Any]]:
        return await find_by_reference(self._http, "carrier", "/shipments", order_id)
