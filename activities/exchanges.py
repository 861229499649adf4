"""Exchanges: the new items of a return, held when it is approved, their difference
authorized under the return's id, shipped as a parcel of the order once the return
is received (the difference captured then), or released when the return ends
without them."""

from __future__ import annotations

from temporalio import activity

from activities import order_metrics as metrics
from activities.base import UnitOfWorkFactory, order_not_found, provider_attempt, refusal
from activities.returns import locked_return, save_return, state_of
from db.holds import hold_new_parcel
from db.unit_of_work import UnitOfWork
from domain import events
from domain.commands import AuthorizeExchange, ReleaseExchange, ReturnState, ReturnStep
from domain.errors import ReturnNotFound
from domain.order import Order
from domain.returns import Exchange, ExchangeStatus, Return, ReturnStatus
from domain.shipments import Shipment
from providers.carrier import CarrierClient
from providers.payment import PaymentClient


class ExchangeActivities:
    def __init__(
        self, uow: UnitOfWorkFactory, payments: PaymentClient, carrier: CarrierClient
    ) -> None:
        self._uow = uow
        self._payments = payments
        self._carrier = carrier

    @activity.defn
    async def hold_exchange(self, command: ReturnStep) -> ReturnState:
        """Holds the new items at one location that has them all, as the order's next
        parcel; none has them: the return is rejected before any label."""
        async with self._uow() as uow:
            order, rma = await locked_return(uow, command.return_id)
            exchange = _exchange(rma)
            if exchange.status is ExchangeStatus.ASKED and rma.status is ReturnStatus.APPROVED:
                wanted = {line.sku: line.quantity for line in exchange.items}
                parcel = await hold_new_parcel(uow, order.id, wanted, max(exchange.difference, 0))
                if parcel is not None and rma.exchange_held(parcel.number):
                    order.after_sale(
                        events.RETURN_EXCHANGE_HELD,
                        rma.id,
                        return_id=rma.id,
                        shipment_id=parcel.id,
                        location_id=parcel.location_id,
                    )
                elif parcel is None and rma.exchange_refused():
                    order.after_sale(
                        events.RETURN_REJECTED,
                        rma.id,
                        return_id=rma.id,
                        by=None,
                        note="the exchange's new items are out of stock",
                    )
                await save_return(uow, order, rma)
        return state_of(rma)

    @activity.defn
    async def authorize_exchange(self, command: AuthorizeExchange) -> None:
        """Authorizes the difference due with the customer's token, under the return's
        id (never the order's: what the order paid is not touched)."""
        async with self._uow() as uow:
            rma = await uow.returns.get(command.return_id, lock=False)
        if rma is None:
            raise refusal(ReturnNotFound(command.return_id))
        exchange = _exchange(rma)
        if exchange.authorization_id is not None:
            return
        async with provider_attempt():
            authorization_id = await self._payments.authorize(
                order_id=rma.id,
                amount=exchange.difference,
                currency=rma.currency,
                token=command.payment_token,
                idempotency_key=f"exchange:{rma.id}:authorize",
            )
        async with self._uow() as uow:
            order, rma = await locked_return(uow, command.return_id)
            _exchange(rma).authorization_id = authorization_id
            await save_return(uow, order, rma)

    @activity.defn
    async def release_exchange(self, command: ReleaseExchange) -> ReturnState:
        """The return ended without its exchange (or the difference was declined): the
        held items go back, an authorization is voided, an approved return rejected."""
        async with self._uow() as uow:
            rma = await uow.returns.get(command.return_id, lock=False)
        if rma is None:
            raise refusal(ReturnNotFound(command.return_id))
        exchange = _exchange(rma)
        if exchange.status is ExchangeStatus.SHIPPED:
            return state_of(rma)
        if exchange.authorization_id is not None:
            async with provider_attempt():
                await self._payments.void(exchange.authorization_id, f"exchange:{rma.id}:void")
        async with self._uow() as uow:
            order, rma = await locked_return(uow, command.return_id)
            exchange = _exchange(rma)
            parcel = await _parcel(uow, order, exchange)
            if parcel is not None and parcel.put_back() is not None:
                stock = await uow.stock.lock(parcel.quantities)
                for place, quantity in parcel.quantities.items():
                    stock[place].release(quantity)
                await uow.stock.save(stock.values())
                parcel.call_off()
                await uow.shipments.save([parcel])
            if rma.exchange_refused():
                order.after_sale(
                    events.RETURN_REJECTED, rma.id, return_id=rma.id, by=None, note=command.why
                )
            exchange.status = ExchangeStatus.RELEASED
            await save_return(uow, order, rma)
        return state_of(rma)

    @activity.defn
    async def ship_exchange(self, command: ReturnStep) -> None:
        """Books the new items with the carrier (once, by the return's key); their
        units leave the shelf in the transaction that records it."""
        async with self._uow() as uow:
            order, rma = await locked_return(uow, command.return_id, lock=False)
            exchange = _exchange(rma)
            parcel = await _parcel(uow, order, exchange)
            if parcel is None or exchange.status is not ExchangeStatus.HELD:
                return  # shipped already, or released: nothing to book
            origin = await uow.locations.get(parcel.location_id)
        if parcel.tracking_number:
            return  # a retry after the commit landed
        async with provider_attempt():
            booked = await self._carrier.create_shipment(
                order, f"exchange:{rma.id}", parcel.items, origin
            )
        async with self._uow() as uow:
            order, rma = await locked_return(uow, command.return_id)
            exchange = _exchange(rma)
            parcel = await _parcel(uow, order, exchange)
            assert parcel is not None
            if parcel.book(booked.shipment_id, booked.carrier, booked.tracking_number):
                stock = await uow.stock.lock(parcel.quantities)
                for place, quantity in parcel.quantities.items():
                    stock[place].commit(quantity)
                await uow.stock.save(stock.values())
                await uow.shipments.save([parcel])
            if exchange.status is ExchangeStatus.HELD:
                exchange.status = ExchangeStatus.SHIPPED
                order.after_sale(
                    events.RETURN_EXCHANGE_SHIPPED,
                    rma.id,
                    return_id=rma.id,
                    shipment_id=parcel.id,
                    carrier=booked.carrier,
                    tracking_number=booked.tracking_number,
                )
            await save_return(uow, order, rma)

    @activity.defn
    async def capture_exchange(self, command: ReturnStep) -> None:
        """Takes the difference the customer owes, now that the new items ship."""
        async with self._uow() as uow:
            rma = await uow.returns.get(command.return_id, lock=False)
        if rma is None:
            raise refusal(ReturnNotFound(command.return_id))
        exchange = _exchange(rma)
        if exchange.authorization_id is None:
            raise order_not_found(rma.order_id)
        async with provider_attempt():
            await self._payments.capture(
                exchange.authorization_id, f"exchange:{rma.id}:capture", exchange.difference
            )

    @activity.defn
    async def close_return(self, command: ReturnStep) -> None:
        """A received return with nothing to refund closes once its exchange shipped."""
        async with self._uow() as uow:
            order, rma = await locked_return(uow, command.return_id)
            if rma.close():
                order.after_sale(events.RETURN_CLOSED, rma.id, return_id=rma.id)
                await save_return(uow, order, rma)
                metrics.RETURNS.labels("closed").inc()


def _exchange(rma: Return) -> Exchange:
    if rma.exchange is None:
        raise refusal(ReturnNotFound(f"{rma.id} has no exchange"))
    return rma.exchange


async def _parcel(uow: UnitOfWork, order: Order, exchange: Exchange) -> Shipment | None:
    if exchange.shipment_number is None:
        return None
    parcels = await uow.shipments.of(order.id)
    return next((p for p in parcels if p.number == exchange.shipment_number), None)
