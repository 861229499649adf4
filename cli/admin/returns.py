"""`orders-admin returns`: the warehouse's and operators' side of returns: list and
show them, approve or reject those awaiting review, record what was received."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.admin.inputs import identifier
from cli.admin.session import emit, operator, run, table
from domain.returns import Disposition, Return, ReturnStatus
from services.returns import ReturnQuery

app = typer.Typer(help="List, review and receive returns.", no_args_is_help=True)

ReturnId = Annotated[
    str, typer.Argument(metavar="RETURN_ID", callback=identifier("ret"), show_default=False)
]


@app.command("list")
def list_returns(
    ctx: typer.Context,
    status: Annotated[
        ReturnStatus | None, typer.Option(help="Only returns in this status.")
    ] = None,
    order: Annotated[
        str | None, typer.Option(help="Only this order's (ord_...).", callback=identifier("ord"))
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many.")] = 20,
) -> None:
    """Returns, newest first."""
    query = ReturnQuery(status, order, None, limit)
    found = run(ctx, lambda services: services.returns.page(operator(), query))
    rows = [
        (r.id, r.order_id, r.status, _units(r), _refund(r), r.expires_at, r.created_at)
        for r in found
    ]
    headers = ("ID", "ORDER", "STATUS", "UNITS", "REFUND", "EXPIRES", "CREATED")
    emit(ctx, found, table(headers, rows, "no returns"))


@app.command()
def show(ctx: typer.Context, return_id: ReturnId) -> None:
    """One return: its items (and what was received), label and refund."""
    rma = run(ctx, lambda services: services.returns.find(operator(), return_id))
    lines = [
        f"{rma.id} of {rma.order_id}: {rma.status} (ship by {rma.expires_at:%Y-%m-%d %H:%M} UTC)",
        *(
            f"  {item.quantity} x {item.sku} ({item.reason})"
            + (
                f": restock {item.received.restock}, damaged {item.received.damaged}, "
                f"missing {item.received.missing}"
                if item.received
                else ""
            )
            for item in rma.items
        ),
        f"  label: {rma.label_carrier} {rma.label_tracking_number}"
        if rma.label_tracking_number
        else "  label: none yet",
        f"  refund: {_refund(rma)}",
    ]
    emit(ctx, rma, "\n".join(lines))


@app.command()
def approve(
    ctx: typer.Context,
    return_id: ReturnId,
    note: Annotated[str | None, typer.Option(help="Why, for the timeline.")] = None,
) -> None:
    """Approve a return awaiting review: its label follows from the carrier."""
    rma = run(ctx, lambda services: services.returns.review(operator(), return_id, True, note))
    emit(ctx, rma, f"approved: {rma.id} is {rma.status}")


@app.command()
def reject(
    ctx: typer.Context,
    return_id: ReturnId,
    note: Annotated[str | None, typer.Option(help="Why, for the timeline.")] = None,
) -> None:
    """Reject a return awaiting review: its units may be asked back again."""
    rma = run(ctx, lambda services: services.returns.review(operator(), return_id, False, note))
    emit(ctx, rma, f"rejected: {rma.id} is {rma.status}")


@app.command()
def receive(
    ctx: typer.Context,
    return_id: ReturnId,
    item: Annotated[
        list[str],
        typer.Option(
            help="SKU=RESTOCK,DAMAGED,MISSING for every sku of the return, e.g. "
            "MUG-RED=1,0,1 (repeat the option per sku)."
        ),
    ],
) -> None:
    """Record the warehouse's inspection: restocked units back where they shipped
    from, damaged ones written off; the refund of both follows."""
    found = dict(map(_disposition, item))
    rma = run(ctx, lambda services: services.returns.receive(operator(), return_id, found))
    emit(ctx, rma, f"received: {rma.id} is {rma.status}, refund {_refund(rma)}")


def _disposition(text: str) -> tuple[str, Disposition]:
    sku, _, counts = text.partition("=")
    parts = counts.split(",")
    if not sku or len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
        raise typer.BadParameter(f"{text!r}: expected SKU=RESTOCK,DAMAGED,MISSING")
    restock, damaged, missing = (int(p) for p in parts)
    return sku, Disposition(restock, damaged, missing)


def _units(rma: Return) -> str:
    return ", ".join(f"{item.quantity} x {item.sku}" for item in rma.items)


def _refund(rma: Return) -> str:
    if rma.refund_amount is None:
        return ""
    status = rma.refund_status or "none due"
    return f"{rma.refund_amount / 100:,.2f} {rma.currency} ({status})"
