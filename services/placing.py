"""Placing an order, the use case behind `POST /v1/orders`.

In order: the customer is resolved (ops and admin may place for someone else); the key
is claimed for a new order id, in a transaction that load shedding and items not for
sale roll back, so a refusal writes nothing (a key seen before replays its first
answer instead, shed or not); the order's workflow starts and answers once its stock
is held or refused. Every refusal is a domain error, which the API turns into a
problem document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from temporalio.client import Client

from db.order_reads import OrderReads
from db.unit_of_work import UnitOfWork
from domain.catalog import not_for_sale
from domain.commands import LineRequest
from domain.errors import (
    IdempotencyKeySpent,
    NotPermitted,
    OutOfStock,
    ProductUnavailable,
    UnknownCustomer,
)
from domain.identity import ensure_same_request, new_id
from domain.order import Address, FailureReason
from domain.order_records import OrderRecord
from domain.users import Caller, Role, Tier
from infra.settings import Settings
from services import order_client
from workflows.contracts import OrderWorkflowInput


@dataclass(frozen=True)
class OrderRequest:
    """What the client asked for, with the digest that identifies the request."""

    idempotency_key: str
    fingerprint: str
    lines: list[LineRequest]
    shipping_address: Address
    payment_token: str
    customer_id: str | None = None  # someone else's id: ops and admin only


@dataclass(frozen=True)
class PlacedOrder:
    order: OrderRecord
    replayed: bool  # the key was seen before: this is its first answer again


@dataclass(frozen=True)
class OrderPlacing:
    settings: Settings
    unit_of_work: Callable[[], UnitOfWork]
    reads: OrderReads
    temporal: Client
    # Load shedding: raises to refuse a new order of this tier while overloaded.
    admit: Callable[[Tier], Awaitable[None]]

    async def place(self, caller: Caller, request: OrderRequest) -> PlacedOrder:
        customer_id, tier = await self._customer_for(caller, request.customer_id)
        new_order = new_id("ord")
        # The claim comes first (no read of the key before it: every new order would
        # pay for one); a key that is live already answers with its holder.
        async with self.unit_of_work() as uow:
            claim = await uow.idempotency.claim(
                caller.user_id,
                request.idempotency_key,
                new_order,
                request.fingerprint,
                self.settings.idempotency_window,
            )
            if claim.order_id == new_order:
                await self.admit(tier)
                await self._check_for_sale(uow, request)
                await uow.commit()
        # A key seen before, or a concurrent first use of it, perhaps with another body.
        ensure_same_request(claim.fingerprint, request.fingerprint)
        order_id = claim.order_id
        if order_id != new_order:
            existing = await self.reads.find(order_id)
            if existing is not None:
                return await self._replay(existing, request)

        try:
            placement = await order_client.start_and_reserve(
                self.temporal,
                self.settings,
                OrderWorkflowInput(
                    order_id=order_id,
                    customer_id=customer_id,
                    customer_tier=tier.value,
                    lines=request.lines,
                    shipping_address=request.shipping_address,
                    payment_token=request.payment_token,
                    currency=self.settings.currency,
                    idempotency_key=request.idempotency_key,
                    fingerprint=request.fingerprint,
                    policy=order_client.saga_policy(self.settings),
                ),
            )
        except order_client.WorkflowClosed:
            finished = await self.reads.find(order_id)
            if finished is None:
                raise IdempotencyKeySpent() from None
            return await self._replay(finished, request)

        if placement.unavailable_skus:
            raise _unavailable(request, placement.unavailable_skus)
        if not placement.reserved:
            raise OutOfStock(placement.refused_skus, order_id, placement.replayed)
        order = await self.reads.find(order_id)
        assert order is not None, "a reserved order is in the read model"
        return PlacedOrder(order, placement.replayed)

    async def _replay(self, order: OrderRecord, request: OrderRequest) -> PlacedOrder:
        """The first answer again, for the same key and body."""
        ensure_same_request(order.fingerprint, request.fingerprint)
        if order.failure_reason == FailureReason.OUT_OF_STOCK:
            raise OutOfStock(await self.reads.refused_skus(order.id), order.id, replayed=True)
        return PlacedOrder(order, replayed=True)

    async def _customer_for(self, caller: Caller, customer_id: str | None) -> tuple[str, Tier]:
        if customer_id is None or customer_id == caller.user_id:
            return caller.user_id, caller.tier
        if caller.role is Role.CUSTOMER:
            raise NotPermitted("customers place orders only for themselves")
        async with self.unit_of_work() as uow:
            customer = await uow.users.get(customer_id)
        if customer is None:
            raise UnknownCustomer(customer_id)
        return customer.id, Tier(customer.tier)

    async def _check_for_sale(self, uow: UnitOfWork, request: OrderRequest) -> None:
        """The reservation applies the same rule; checking first writes nothing (the
        key is claimed in the same transaction, after this check)."""
        skus = [line.sku for line in request.lines]
        listings = await uow.products.get_many(skus)
        refused = not_for_sale(skus, listings, self.settings.currency)
        if refused:
            raise _unavailable(request, refused)


def _unavailable(request: OrderRequest, skus: list[str]) -> ProductUnavailable:
    lines = {index: line.sku for index, line in enumerate(request.lines) if line.sku in skus}
    return ProductUnavailable(skus, lines)
