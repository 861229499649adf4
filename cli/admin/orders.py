"""`orders-admin orders`: list, show, approve, reject, cancel and edit orders."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import typer

from cli.admin.inputs import identifier, text
from cli.admin.session import emit, operator, run, table
from domain.commands import LineRequest
from domain.identity import request_fingerprint
from domain.order import OrderStatus
from domain.order_records import OrderRecord, ShipmentRecord
from services.orders import CancelOrder, Decision, EditOrder, OrderQuery, ReviewOrder
from services.wiring import Services

app = typer.Typer(help="List, show, approve, reject, cancel and edit orders.", no_args_is_help=True)

OrderId = Annotated[
    str,
    typer.Argument(
        metavar="ORDER_ID",
        help="The order (ord_...).",
        callback=identifier("ord"),
        show_default=False,
    ),
]
Note = Annotated[str | None, typer.Option(help="Why, for the timeline.", callback=text(1000))]
By = Annotated[
    str | None,
    typer.Option(
        help="The reviewer's user id (default: you, as orders-admin:<login>).",
        callback=identifier("usr"),
    ),
]


@app.command("list")
def list_orders(
    ctx: typer.Context,
    status: Annotated[OrderStatus | None, typer.Option(help="Only orders in this status.")] = None,
    customer: Annotated[
        str | None,
        typer.Option(help="Only this customer's orders (usr_...).", callback=identifier("usr")),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many.")] = 20,
) -> None:
    """Orders, newest first."""
    query = OrderQuery(status=status, customer_id=customer, limit=limit)
    found = run(ctx, lambda services: services.orders.page(operator(), query))
    rows = [
        (o.id, o.status, o.failure_reason, _money(o.total_amount, o), o.customer_id, o.created_at)
        for o in found
    ]
    headers = ("ID", "STATUS", "REASON", "TOTAL", "CUSTOMER", "PLACED")
    emit(ctx, found, table(headers, rows, "no orders"))


@app.command()
def show(ctx: typer.Context, order_id: OrderId) -> None:
    """One order with its lines and its timeline."""

    async def both(services: Services) -> tuple[OrderRecord, list[Any]]:
        order = await services.orders.find(operator(), order_id)
        return order, await services.orders.timeline(operator(), order_id)

    order, timeline = run(ctx, both)
    address = ", ".join(str(v) for v in order.shipping_address.values() if v)
    lines = [
        f"{order.id}  {order.status}"
        + (f" ({order.failure_reason})" if order.failure_reason else "")
        + f"  {_money(order.total_amount, order)}  {order.customer_id}",
        f"  ship to: {address}",
        *(
            f"  {line.quantity} x {line.sku} at {_money(line.unit_price_amount, order)}"
            for line in order.lines
        ),
        *(_parcel(parcel, order) for parcel in order.shipments),
        *(
            f"  {entry.at:%Y-%m-%d %H:%M:%S} {entry.type} "
            + " ".join(f"{k}={v}" for k, v in entry.data.items())
            for entry in timeline
        ),
    ]
    emit(ctx, {"order": order, "timeline": timeline}, "\n".join(lines))


@app.command()
def approve(ctx: typer.Context, order_id: OrderId, note: Note = None, by: By = None) -> None:
    """Approve an order held for review: payment and shipping go on."""
    review = ReviewOrder(order_id, operator(by), approve=True, note=note)
    _report(ctx, "approve", run(ctx, lambda services: services.orders.review(review)))


@app.command()
def reject(ctx: typer.Context, order_id: OrderId, note: Note = None, by: By = None) -> None:
    """Reject an order held for review: its stock is released, it ends failed."""
    review = ReviewOrder(order_id, operator(by), approve=False, note=note)
    _report(ctx, "reject", run(ctx, lambda services: services.orders.review(review)))


@app.command()
def cancel(
    ctx: typer.Context,
    order_id: OrderId,
    reason: Annotated[
        str | None, typer.Option(help="Why, for the timeline.", callback=text(500))
    ] = None,
) -> None:
    """Cancel an order and undo its steps (stock, payment, parcel)."""
    command = CancelOrder(order_id, operator(), reason)
    _report(ctx, "cancel", run(ctx, lambda services: services.orders.cancel(command)))


@app.command()
def edit(
    ctx: typer.Context,
    order_id: OrderId,
    item: Annotated[
        list[str],
        typer.Option(
            help="SKU=QUANTITY, once per line: the order's new full list of lines.",
            show_default=False,
        ),
    ],
    dry_run: Annotated[bool, typer.Option(help="Price the edit; change nothing.")] = False,
    key: Annotated[
        str | None,
        typer.Option(help="Idempotency key: the same key again repeats the first answer."),
    ] = None,
) -> None:
    """Change an order's lines before any of its parcels is booked (all or nothing)."""
    lines = [_line(value) for value in item]
    command = EditOrder(
        order_id,
        operator(),
        key or uuid.uuid4().hex,
        request_fingerprint({"items": [[line.sku, line.quantity] for line in lines]}),
        lines=lines,
        dry_run=dry_run,
    )
    edited = run(ctx, lambda services: services.orders.edit(command))
    order = edited.order
    text = (
        f"edit{' (dry run)' if dry_run else ''}: {order.id} totals "
        f"{_money(order.total_amount, order)}, difference {_money(edited.difference, order)}"
        + ("; held for review" if edited.held_for_review else "")
    )
    emit(ctx, {"order": order, "difference": edited.difference, "dry_run": dry_run}, text)


def _line(value: str) -> LineRequest:
    sku, _, quantity = value.partition("=")
    if not sku or not quantity.isdigit() or int(quantity) < 1:
        raise typer.BadParameter(f"{value!r}: expected SKU=QUANTITY, e.g. MUG-BLUE=2")
    return LineRequest(sku.strip(), int(quantity))


def _parcel(parcel: ShipmentRecord, order: OrderRecord) -> str:
    items = ", ".join(f"{quantity} x {sku}" for sku, quantity in parcel.items)
    booked = f" {parcel.carrier} {parcel.tracking_number}" if parcel.tracking_number else ""
    paid = (
        f", captured {_money(parcel.captured_amount, order)}"
        if parcel.captured_amount is not None
        else ""
    )
    return f"  parcel {parcel.id} from {parcel.location_id}: {items}; {parcel.status}{booked}{paid}"


def _report(ctx: typer.Context, action: str, decision: Decision) -> None:
    order = decision.order
    background = not decision.settled or not OrderStatus(order.status).is_terminal
    text = f"{action}: taken; {order.id} is {order.status}" + (
        "; the rest goes on in the background" if background else ""
    )
    emit(ctx, {"action": action, "in_background": background, "order": order}, text)


def _money(amount: int, order: OrderRecord) -> str:
    return f"{amount / 100:,.2f} {order.currency}"
