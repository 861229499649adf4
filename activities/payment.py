"""Payment: authorize, capture, and void or refund on compensation."""

from __future__ import annotations

from temporalio import activity

from activities import order_metrics as metrics
from activities.base import (
    UnitOfWorkFactory,
    not_yet,
    order_not_found,
    provider_attempt,
    read_order,
)
from domain.commands import AuthorizePayment, CapturePayment, PaymentAuthorized, VoidPayment
from providers.payment import PaymentClient


class PaymentActivities:
    def __init__(self, uow: UnitOfWorkFactory, payments: PaymentClient) -> None:
        self._uow = uow
        self._payments = payments

    @activity.defn
    async def authorize_payment(self, command: AuthorizePayment) -> PaymentAuthorized:
        order = await read_order(self._uow, command.order_id)
        async with provider_attempt():
            authorization_id = await self._payments.authorize(
                order_id=order.id,
                amount=order.total.amount,
                currency=order.currency,
                token=command.payment_token,
                idempotency_key=f"{order.id}:authorize",
            )
        async with self._uow() as uow:
            locked = await uow.orders.get(order.id)
            assert locked is not None
            authorized = locked.authorize(authorization_id)
            await uow.orders.save(locked)
            await uow.commit()
        if authorized:
            metrics.milestone_reached(locked, "authorized")
        return PaymentAuthorized(authorization_id)

    @activity.defn
    async def capture_payment(self, command: CapturePayment) -> None:
        order = await read_order(self._uow, command.order_id)
        if order.authorization_id is None:
            raise order_not_found(command.order_id)
        async with provider_attempt():
            await self._payments.capture(order.authorization_id, f"{order.id}:capture")
        async with self._uow() as uow:
            locked = await uow.orders.get(order.id)
            assert locked is not None
            locked.capture()
            await uow.orders.save(locked)
            await uow.commit()

    @activity.defn
    async def void_payment(self, command: VoidPayment) -> None:
        """Voids every authorization made for the order, or refunds it once captured.

        The provider is asked by our reference as well as by the id we stored, so an
        authorization whose reply was lost is undone too; one we stored that the
        provider does not list (yet) is asked about again, never taken as undone.
        """
        async with self._uow() as unit:
            recorded = await unit.orders.get(command.order_id, lock=False)
        stored_id = recorded.authorization_id if recorded else None
        undone: list[tuple[str, str]] = []
        async with provider_attempt():
            found = await self._payments.authorizations_for(command.order_id)
            listed = {authorization["id"] for authorization in found}
            if stored_id and stored_id not in listed:
                raise not_yet(
                    f"authorization {stored_id} is recorded on the order "
                    "but the provider does not list it"
                )
            for authorization in found:
                auth_id, status = authorization["id"], authorization["status"]
                if status == "authorized":
                    await self._payments.void(auth_id, f"{command.order_id}:void:{auth_id}")
                    undone.append(("voided", auth_id))
                elif status == "captured":
                    await self._payments.refund(auth_id, f"{command.order_id}:refund:{auth_id}")
                    undone.append(("refunded", auth_id))
                elif status in ("voided", "refunded"):
                    undone.append((status, auth_id))
                else:  # e.g. still pending at the provider: not undone yet
                    raise not_yet(f"authorization {auth_id} is {status}; asking again")
        if not undone:
            return
        async with self._uow() as uow:
            order = await uow.orders.get(command.order_id)
            if order is None:
                return
            changed = False
            for outcome, auth_id in undone:
                if outcome == "refunded":
                    changed |= order.refund_payment(auth_id)
                else:
                    changed |= order.void_payment(auth_id)
            await uow.orders.save(order)
            await uow.commit()
        if changed:
            metrics.COMPENSATIONS.labels("void_payment").inc()
