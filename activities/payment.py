"""Payment: authorize, capture, and void or refund on compensation."""

from __future__ import annotations

from temporalio import activity

from activities import order_metrics as metrics
from activities.base import UnitOfWorkFactory, order_not_found, read_order, refusal
from activities.providers.payment import PaymentClient
from domain.commands import AuthorizePayment, CapturePayment, PaymentAuthorized, VoidPayment
from domain.errors import DomainError


class PaymentActivities:
    def __init__(self, uow: UnitOfWorkFactory, payments: PaymentClient) -> None:
        self._uow = uow
        self._payments = payments

    @activity.defn
    async def authorize_payment(self, command: AuthorizePayment) -> PaymentAuthorized:
        order = await read_order(self._uow, command.order_id)
        try:
            authorization_id = await self._payments.authorize(
                order_id=order.id,
                amount=order.total.amount,
                currency=order.currency,
                token=command.payment_token,
                idempotency_key=f"{order.id}:authorize",
            )
        except DomainError as error:
            raise refusal(error) from error
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
        try:
            await self._payments.capture(order.authorization_id, f"{order.id}:capture")
        except DomainError as error:
            raise refusal(error) from error
        async with self._uow() as uow:
            locked = await uow.orders.get(order.id)
            assert locked is not None
            locked.capture()
            await uow.orders.save(locked)
            await uow.commit()

    @activity.defn
    async def void_payment(self, command: VoidPayment) -> None:
        """Voids every authorization made for the order, or refunds it once captured.

        The provider is asked by our reference rather than trusting our own record,
        so an authorization whose reply was lost is undone too.
        """
        found = await self._payments.authorizations_for(command.order_id)
        undone: list[tuple[str, str]] = []
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
