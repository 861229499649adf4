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
from domain.commands import (
    AuthorizePayment,
    CapturePayment,
    IncreaseAuthorization,
    PaymentAuthorized,
    VoidPayment,
)
from domain.identity import new_id
from domain.refunds import Refund, RefundReason
from providers.payment import PaymentClient


class PaymentActivities:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        payments: PaymentClient,
        reads: UnitOfWorkFactory | None = None,
    ) -> None:
        self._uow = uow
        self._payments = payments
        # What is read before a call to the provider: outside a transaction where given.
        self._reads = reads or uow

    @activity.defn
    async def authorize_payment(self, command: AuthorizePayment) -> PaymentAuthorized:
        order_id, amount, currency = command.order_id, command.amount, command.currency
        if amount is None or currency is None:  # histories of before: read them
            order = await read_order(self._reads, order_id)
            amount, currency = order.total.amount, order.currency
        async with provider_attempt():
            authorization_id = await self._payments.authorize(
                order_id=order_id,
                amount=amount,
                currency=currency,
                token=command.payment_token,
                idempotency_key=f"{order_id}:authorize",
            )
        async with self._uow() as uow:
            locked = await uow.orders.get(order_id)
            if locked is None:
                raise order_not_found(order_id)
            authorized = locked.authorize(authorization_id)
            await uow.orders.save(locked)
            await uow.commit()
        if authorized:
            metrics.milestone_reached(locked, "authorized")
        return PaymentAuthorized(authorization_id)

    @activity.defn
    async def capture_payment(self, command: CapturePayment) -> None:
        """Captures one parcel's part of the authorization (the final one releasing what
        is left), or all of it at once for orders of before."""
        order_id, authorization_id = command.order_id, command.authorization_id
        if authorization_id is None:  # histories of before: read it
            authorization_id = (await read_order(self._reads, order_id)).authorization_id
            if authorization_id is None:
                raise order_not_found(order_id)
        async with provider_attempt():
            if command.number is None:
                await self._payments.capture(authorization_id, f"{order_id}:capture")
            else:
                await self._payments.capture(
                    authorization_id,
                    f"{order_id}:capture:{command.number}",
                    command.amount,
                    command.final,
                )
        async with self._uow() as uow:
            loaded = await uow.order_with_parcels(order_id)
            if loaded is None:
                raise order_not_found(order_id)
            locked, shipments = loaded
            if command.number is None:
                locked.capture()
                for parcel in shipments:
                    parcel.capture(parcel.value)
            else:
                parcel = shipments[command.number - 1]
                if parcel.capture(command.amount):
                    locked.shipment_captured(parcel, command.final)
            await uow.shipments.save(shipments)
            await uow.orders.save(locked)
            await uow.commit()

    @activity.defn
    async def increase_authorization(self, command: IncreaseAuthorization) -> None:
        """Raises the order's authorization by an edit's difference, once per edit; a
        decline is a refusal, and the edit is abandoned."""
        order = await read_order(self._reads, command.order_id)
        if order.authorization_id is None:
            raise order_not_found(command.order_id)
        async with provider_attempt():
            await self._payments.increase(
                order.authorization_id, command.amount, f"{order.id}:edit:{command.edit_id}"
            )

    @activity.defn
    async def void_payment(self, command: VoidPayment) -> None:
        """Voids every authorization made for the order, or refunds it once captured.

        The provider is asked by our reference as well as by the id we stored, so an
        authorization whose reply was lost is undone too; one we stored that the
        provider does not list (yet) is asked about again, never taken as undone.
        """
        async with self._reads() as unit:
            recorded = await unit.orders.get(command.order_id, lock=False)
        stored_id = recorded.authorization_id if recorded else None
        undone: list[tuple[str, str, int]] = []  # (outcome, authorization, amount refunded)
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
                    undone.append(("voided", auth_id, 0))
                elif status == "captured":
                    await self._payments.refund(auth_id, f"{command.order_id}:refund:{auth_id}")
                    taken = authorization.get("captured") or authorization["amount"]
                    undone.append(("refunded", auth_id, taken - authorization.get("refunded", 0)))
                elif status == "partially_captured":  # some parcels' parts were taken
                    captured = authorization.get("captured", 0)
                    left = captured - authorization.get("refunded", 0)
                    if left > 0:
                        await self._payments.refund(
                            auth_id, f"{command.order_id}:refund:{auth_id}:{captured}", left
                        )
                    await self._payments.void(auth_id, f"{command.order_id}:void:{auth_id}")
                    undone.append(("refunded" if captured else "voided", auth_id, max(left, 0)))
                elif status in ("voided", "refunded"):
                    # refunded before this attempt: by an attempt whose commit was lost,
                    # or through the ledger already (the ledger then knows it)
                    undone.append((status, auth_id, -authorization.get("refunded", 0)))
                else:  # e.g. still pending at the provider: not undone yet
                    raise not_yet(f"authorization {auth_id} is {status}; asking again")
        if not undone:
            return
        async with self._uow() as uow:
            order = await uow.orders.get(command.order_id)
            if order is None:
                return
            changed = False
            rows = await uow.refunds.of_order(order.id)
            ledger = {r.idempotency_key for r in rows}
            counted = sum(r.amount for r in rows if r.counts)
            for outcome, auth_id, amount in undone:
                if outcome == "refunded":
                    changed |= order.refund_payment(auth_id)
                    key = f"compensation:{auth_id}"
                    if amount < 0:  # refunded before: only what the ledger does not know
                        amount = max(0, -amount - counted)
                    if amount > 0 and key not in ledger:  # every refund is in the ledger
                        refund = Refund(
                            new_id("ref"),
                            order.id,
                            amount,
                            order.currency,
                            RefundReason.FAILED_ORDER,
                            "saga",
                            key,
                            auth_id,
                        )
                        refund.succeed(None)
                        uow.refunds.add(refund)
                        order.compensation_refunded(refund)
                else:
                    changed |= order.void_payment(auth_id)
            await uow.orders.save(order)
            await uow.commit()
        if changed:
            metrics.COMPENSATIONS.labels("void_payment").inc()
