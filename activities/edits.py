"""Order edits: price the new lines and hold the units they add, then apply the edit
(the order takes them; the units it no longer needs go back) or abandon it (the
units it held go back). Each step is one transaction, and a retry does what the first
attempt did: the plan is kept with the edit (db/edits.py)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from temporalio import activity

from activities import order_metrics as metrics
from activities.base import UnitOfWorkFactory, order_not_found, refusal
from activities.stock import reservation_of
from db.unit_of_work import UnitOfWork
from domain.allocation import Pick, Strategy
from domain.catalog import not_for_sale
from domain.commands import (
    AbandonEdit,
    ApplyEdit,
    EditQuote,
    PlanEdit,
    PricedLine,
    StockReservation,
)
from domain.edits import EditPlan, merged, plan_edit, priced
from domain.errors import IllegalTransition
from domain.money import Money
from domain.order import EDITABLE, Address, Order, OrderLine
from domain.shipments import plan


class OrderEditActivities:
    def __init__(
        self, uow: UnitOfWorkFactory, strategy: Strategy = Strategy.FEWEST_SHIPMENTS
    ) -> None:
        self._uow = uow
        self._strategy = strategy

    @activity.defn
    async def plan_edit(self, command: PlanEdit) -> EditQuote:
        """Prices the edit and, unless it is a dry run, holds the units it adds where the
        allocation puts them, atomically; refused when stock is short or a sku is not
        for sale, with nothing held."""
        async with self._uow() as uow:
            stored = await uow.edits.get(command.edit_id)
            if stored is not None:  # a retry after the commit landed
                return _quote(stored[1])
            order = await uow.orders.get(command.order_id)
            if order is None:
                raise order_not_found(command.order_id)
            if order.status not in EDITABLE:
                metrics.ORDER_EDITS.labels("not_editable").inc()
                return EditQuote(not_editable=order.status.value)
            wanted = merged(
                [(line.sku, line.quantity) for line in command.lines]
                if command.lines is not None
                else [(line.sku, line.quantity) for line in order.lines]
            )
            added = [sku for sku, _ in wanted if sku not in order.quantities]
            products = await uow.products.get_many(added)
            unavailable = not_for_sale(added, products, order.currency)
            if unavailable:
                metrics.ORDER_EDITS.labels("unavailable").inc()
                return EditQuote(unavailable_skus=unavailable)
            lines = priced(
                wanted,
                order.lines,
                {sku: p.price_amount for sku, p in products.items()},
                order.currency,
            )
            address = command.shipping_address or order.shipping_address
            edit = await self._plan(uow, order, lines, address)
            if edit.short or command.dry_run:
                metrics.ORDER_EDITS.labels("out_of_stock" if edit.short else "priced").inc()
                return _quote(_stored(edit, address))
            stock = await uow.stock.lock(edit.hold)
            for place, units in edit.hold.items():
                stock[place].reserve(units)
            await uow.stock.save(stock.values())
            uow.edits.add(command.edit_id, order.id, _stored(edit, address))
            await uow.commit()
        return _quote(_stored(edit, address))

    async def _plan(
        self, uow: UnitOfWork, order: Order, lines: tuple[OrderLine, ...], address: Address
    ) -> EditPlan:
        held = await uow.locations.picks(order.id) or [
            Pick(number, line.sku, "default", line.quantity)
            for number, line in enumerate(order.lines, start=1)
        ]
        skus = {pick.sku for pick in held} | {line.sku for line in lines}
        stock = await uow.stock.lock_everywhere(skus)
        return plan_edit(
            lines,
            order.total.amount,
            held,
            await uow.locations.all(),
            {place: item.available for place, item in stock.items()},
            country=address.country,
            country_changed=address.country != order.shipping_address.country,
            strategy=self._strategy,
        )

    @activity.defn
    async def apply_edit(self, command: ApplyEdit) -> StockReservation:
        """The order takes the edit: its new lines, address and total, its units where
        the plan holds them (one parcel per location again), and the units it no
        longer needs back on the shelf."""
        async with self._uow() as uow:
            order = await uow.orders.get(command.order_id)
            stored = await uow.edits.get(command.edit_id)
            if order is None or stored is None:
                raise order_not_found(command.order_id)
            status, edit = stored
            if status == "applied":  # a retry after the commit landed
                return reservation_of(order, None, await uow.shipments.of(order.id, lock=False))
            if status != "pending":
                raise refusal(IllegalTransition(command.edit_id, status, "applied"))
            free = _places(edit["free"])
            stock = await uow.stock.lock(free)
            for place, units in free.items():
                stock[place].release(units)
            await uow.stock.save(stock.values())
            lines = [
                OrderLine(line["sku"], line["quantity"], Money(line["unit_price"], order.currency))
                for line in edit["lines"]
            ]
            order.edit(command.edit_id, lines, Address(**edit["address"]), edit["difference"])
            picks = [Pick(*pick) for pick in edit["picks"]]
            await uow.locations.reallocate(order.id, picks)
            prices = {line.sku: line.unit_price.amount for line in lines}
            parcels = plan(order.id, picks, prices)
            await uow.shipments.replan(order.id, parcels)
            await uow.edits.settle(command.edit_id, "applied")
            await uow.orders.save(order)
            await uow.commit()
        metrics.ORDER_EDITS.labels("applied").inc()
        return reservation_of(order, None, parcels)

    @activity.defn
    async def abandon_edit(self, command: AbandonEdit) -> None:
        """The edit will not be made (its payment was declined): the units it held for
        the order go back; the order stays as it was."""
        async with self._uow() as uow:
            stored = await uow.edits.get(command.edit_id)
            if stored is None or stored[0] != "pending":
                return
            hold = _places(stored[1]["hold"])
            stock = await uow.stock.lock(hold)
            for place, units in hold.items():
                stock[place].release(units)
            await uow.stock.save(stock.values())
            await uow.edits.settle(command.edit_id, "abandoned")
            await uow.commit()
        metrics.ORDER_EDITS.labels("declined").inc()


def _stored(edit: EditPlan, address: Address) -> dict[str, Any]:
    """The plan as the edit keeps it (plain JSON)."""
    return {
        "lines": [
            {"sku": line.sku, "quantity": line.quantity, "unit_price": line.unit_price.amount}
            for line in edit.lines
        ],
        "picks": [[p.line_no, p.sku, p.location_id, p.quantity] for p in edit.picks],
        "hold": [[loc, sku, units] for (loc, sku), units in edit.hold.items()],
        "free": [[loc, sku, units] for (loc, sku), units in edit.free.items()],
        "total": edit.total,
        "difference": edit.difference,
        "short": list(edit.short),
        "reasons": list(edit.reasons),
        "address": asdict(address),
    }


def _quote(edit: dict[str, Any]) -> EditQuote:
    return EditQuote(
        total=edit["total"],
        difference=edit["difference"],
        lines=[PricedLine(**line) for line in edit["lines"]],
        refused_skus=list(edit["short"]),
    )


def _places(units: list[list[Any]]) -> dict[tuple[str, str], int]:
    return {(loc, sku): int(n) for loc, sku, n in units}
