"""Units held for a parcel of an order outside its placing (a claim's replacement, an
exchange's new items): at the first active location, by priority, that has them all."""

from __future__ import annotations

from collections.abc import Mapping

from db.unit_of_work import UnitOfWork
from domain.shipments import Shipment, ShipmentItem


async def hold_new_parcel(
    uow: UnitOfWork, order_id: str, wanted: Mapping[str, int], value: int
) -> Shipment | None:
    """Holds the units and adds them as the order's next parcel worth `value` (what
    its capture takes); None, holding nothing, when no location has them all. The
    caller holds the order's lock."""
    stock = await uow.stock.lock_everywhere(wanted)
    for location in await uow.locations.all():
        here = {sku: stock.get((location.id, sku)) for sku in wanted}
        if location.active and all(
            item is not None and item.available >= wanted[sku] for sku, item in here.items()
        ):
            break
    else:
        return None
    for sku, quantity in wanted.items():
        held = here[sku]
        assert held is not None
        held.reserve(quantity)
    await uow.stock.save(item for item in here.values() if item is not None)
    shipments = await uow.shipments.of(order_id)
    number = max((s.number for s in shipments), default=0) + 1
    items = [ShipmentItem(sku, quantity) for sku, quantity in wanted.items()]
    parcel = Shipment(order_id, number, location.id, items, value=value)
    await uow.shipments.add([parcel])
    return parcel
