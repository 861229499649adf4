"""What a return is held to and owed: the policy its items are judged by, the price of
the exchange it asks for, and the refund recorded when it comes back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from db.unit_of_work import UnitOfWork
from domain.catalog import not_for_sale
from domain.eligibility import ReturnPolicy
from domain.errors import ExchangePaymentMissing, OrderNotDelivered, ProductUnavailable
from domain.identity import new_id
from domain.order import Order, OrderStatus
from domain.refunds import RefundReason, open_refund, refundable
from domain.returns import Exchange, ExchangeLine, Return, ReturnItem
from domain.users import Caller
from infra.settings import Settings


async def return_policy(uow: UnitOfWork, settings: Settings, skus: Sequence[str]) -> ReturnPolicy:
    """The window, the ship-by time and the review threshold the items are held to,
    with each product's own exceptions (final sale, a longer window)."""
    products = await uow.products.get_many(skus)
    threshold = settings.return_review_threshold
    return ReturnPolicy(
        window=timedelta(days=settings.return_window_days),
        ship_by=timedelta(days=settings.return_ship_by_days),
        review_threshold=settings.review_threshold if threshold is None else threshold,
        final_sale=frozenset(sku for sku, p in products.items() if not p.returnable),
        windows={
            sku: timedelta(days=p.return_window_days)
            for sku, p in products.items()
            if p.return_window_days is not None
        },
    )


async def priced_exchange(
    uow: UnitOfWork,
    order: Order,
    items: Sequence[ReturnItem],
    exchange_items: Sequence[tuple[str, int]],
    payment_token: str | None,
) -> Exchange | None:
    """The new items at today's prices and the difference; ProductUnavailable for
    one not for sale, ExchangePaymentMissing for a difference due without a token."""
    if not exchange_items:
        return None
    if order.status is not OrderStatus.DELIVERED:
        raise OrderNotDelivered(
            f"order {order.id} is {order.status}: an exchange ships once it is delivered"
        )
    wanted: dict[str, int] = {}
    for sku, quantity in exchange_items:
        wanted[sku] = wanted.get(sku, 0) + quantity
    products = await uow.products.get_many(wanted)
    unavailable = not_for_sale(wanted, products, order.currency)
    if unavailable:
        raise ProductUnavailable(unavailable)
    lines = [ExchangeLine(sku, n, products[sku].price_amount) for sku, n in wanted.items()]
    exchange = Exchange(
        lines, sum(x.unit_price * x.quantity for x in lines) - sum(i.value for i in items)
    )
    if exchange.difference > 0 and not payment_token:
        raise ExchangePaymentMissing(
            f"the new items cost {exchange.difference} more: a payment token pays it"
        )
    return exchange


async def refund_received(uow: UnitOfWork, order: Order, rma: Return, by: Caller) -> None:
    """Records the refund of what came back, capped by what can still be refunded;
    nothing to refund closes the return at once."""
    captured = await uow.refunds.captured(order.id)
    refunds = await uow.refunds.of_order(order.id)
    amount = min(rma.refund_due, refundable(captured, refunds))
    if amount <= 0:
        rma.refunding(None, 0)
        return
    refund = open_refund(
        new_id("ref"),
        order.id,
        order.currency,
        amount,
        captured,
        refunds,
        RefundReason.RETURN,
        by.user_id,
        f"return:{rma.id}",
        rma.id,
        note=f"return {rma.id}",
    )
    uow.refunds.add(refund)
    order.refund_requested(refund)
    rma.refunding(refund.id, amount)
