"""Saving the order aggregate: a milestone (what changed on the order, its timeline
entry and the entry's outbox row) is one statement, on a real PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import default
from sqlalchemy.exc import IntegrityError

from db.tables import OrderEventRow, OutboxRow
from domain import events
from domain.identity import new_id
from domain.money import Money
from domain.order import Address, Attention, Order, OrderLine, OrderStatus
from tests.factories import add_product, add_user, reserved_order
from tests.statements import statements_on


async def statements_of_a_save(uow_factory: Any, order_id: str, change: Any) -> int:
    async with uow_factory() as uow:
        order = await uow.orders.get(order_id)
        change(order)
        with statements_on(uow.session.get_bind()) as sent:
            await uow.orders.save(order)
        await uow.commit()
    return len(sent)


async def test_a_milestone_is_one_statement_with_its_entry_and_outbox_row(
    uow_factory: Any,
) -> None:
    order_id = await reserved_order(uow_factory)

    spent = await statements_of_a_save(uow_factory, order_id, lambda o: o.authorize("auth_1"))

    assert spent == 1
    async with uow_factory() as uow:
        order = await uow.orders.get(order_id, lock=False)
        entries = await uow.session.scalars(
            select(OrderEventRow.id).where(
                OrderEventRow.order_id == order_id,
                OrderEventRow.type == events.PAYMENT_AUTHORIZED,
            )
        )
        entry = entries.one()
        outbox = await uow.session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.event_id == entry)
        )
    assert order is not None
    assert (order.payment_status.value, order.authorization_id) == ("authorized", "auth_1")
    assert outbox == 1


async def test_a_save_without_a_change_writes_nothing_and_one_change_is_not_written_twice(
    uow_factory: Any,
) -> None:
    order_id = await reserved_order(uow_factory)

    assert await statements_of_a_save(uow_factory, order_id, lambda o: None) == 0

    async with uow_factory() as uow:
        order = await uow.orders.get(order_id)
        order.authorize("auth_2")
        await uow.orders.save(order)
        with statements_on(uow.session.get_bind()) as sent:
            await uow.orders.save(order)  # again, in the same unit of work: nothing new
            await uow.commit()  # and the commit does not write the row a second time
        assert sent == []


async def test_a_milestone_statement_is_compiled_once_whatever_its_entries(
    uow_factory: Any,
) -> None:
    """SQLAlchemy compiles a statement anew on every run unless it can key it for its
    cache (a multi-row VALUES cannot be): the milestone statement is keyed once and
    found again, for one entry or two, a change of the row or none."""
    orders = [await reserved_order(uow_factory) for _ in range(4)]
    found: list[Any] = []

    def note(_conn: Any, _cursor: Any, sql: str, _params: Any, context: Any, _many: Any) -> None:
        if "order_outbox" in sql:
            found.append(context.cache_hit)

    async with uow_factory() as uow:
        engine = uow.session.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    try:
        for order_id in orders:
            # The same shape twice: entries of one payment, then of a flag (no change).
            await statements_of_a_save(uow_factory, order_id, lambda o: o.authorize("auth"))
            await statements_of_a_save(
                uow_factory, order_id, lambda o: o.flag(Attention.STEP_REFUSED, "look")
            )
    finally:
        event.remove(engine, "before_cursor_execute", note)

    assert len(found) == 8
    assert default.NO_CACHE_KEY not in found
    assert found[-2:] == [default.CACHE_HIT, default.CACHE_HIT]


async def test_a_new_order_is_one_statement_with_its_lines_entries_and_outbox_rows(
    uow_factory: Any,
) -> None:
    skus = [await add_product(uow_factory, price=price) for price in (700, 1_200)]
    customer, _ = await add_user(uow_factory)
    order = Order.place(
        new_id("ord"),
        customer,
        [OrderLine(skus[0], 3, Money(700, "USD")), OrderLine(skus[1], 1, Money(1_200, "USD"))],
        Address("Ada", "1 Main St", "London", "N1", "GB"),
        "USD",
    )
    order.reserve(["all from default"])

    async with uow_factory() as uow:
        with statements_on(uow.session.get_bind()) as sent:
            await uow.orders.add(order, idempotency_key=f"k-{order.id}", fingerprint="f" * 64)
        await uow.commit()

    assert len(sent) == 1 and order.new_events == []
    async with uow_factory() as uow:
        stored = await uow.orders.get(order.id, lock=False)
        entries = (
            await uow.session.execute(
                select(OrderEventRow.type, OutboxRow.event_id)
                .outerjoin(OutboxRow, OutboxRow.event_id == OrderEventRow.id)
                .where(OrderEventRow.order_id == order.id)
                .order_by(OrderEventRow.id)
            )
        ).all()
    assert stored is not None
    assert [(line.sku, line.quantity, line.unit_price.amount) for line in stored.lines] == [
        (skus[0], 3, 700),
        (skus[1], 1, 1_200),
    ]
    assert (stored.status, stored.total.amount) == (OrderStatus.RESERVED, 3_300)
    assert [kind for kind, _ in entries] == [events.ORDER_PLACED, events.INVENTORY_RESERVED]
    assert all(outbox is not None for _, outbox in entries)


async def entries_of(uow_factory: Any, order_id: str) -> int:
    async with uow_factory() as uow:
        count: int = await uow.session.scalar(
            select(func.count())
            .select_from(OrderEventRow)
            .where(OrderEventRow.order_id == order_id)
        )
    return count


async def test_a_new_order_whose_id_is_taken_writes_nothing(uow_factory: Any) -> None:
    order_id = await reserved_order(uow_factory)
    async with uow_factory() as uow:
        stored = await uow.orders.get(order_id, lock=False)
    assert stored is not None
    entries_before = await entries_of(uow_factory, order_id)
    again = Order.place(order_id, stored.customer_id, stored.lines, stored.shipping_address, "USD")

    async with uow_factory() as uow:
        with pytest.raises(IntegrityError):
            await uow.orders.add(again, idempotency_key="k-again", fingerprint="f" * 64)

    assert await entries_of(uow_factory, order_id) == entries_before
