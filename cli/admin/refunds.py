"""`orders-admin refunds`: list refunds (the failed ones first of all) and retry one."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.admin.inputs import identifier
from cli.admin.session import emit, operator, run, table
from domain.refunds import Refund, RefundStatus

app = typer.Typer(help="List refunds and retry those that failed.", no_args_is_help=True)


@app.command("list")
def list_refunds(
    ctx: typer.Context,
    status: Annotated[
        RefundStatus | None, typer.Option(help="Only refunds in this status (e.g. failed).")
    ] = None,
    order: Annotated[
        str | None, typer.Option(help="Only this order's (ord_...).", callback=identifier("ord"))
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many.")] = 20,
) -> None:
    """Refunds, newest first."""
    found = run(ctx, lambda services: services.refunds.page(operator(), status, order, limit))
    rows = [
        (r.id, r.order_id, r.status, _money(r), r.reason, r.failure or "", r.created_at)
        for r in found
    ]
    headers = ("ID", "ORDER", "STATUS", "AMOUNT", "REASON", "FAILURE", "CREATED")
    emit(ctx, found, table(headers, rows, "no refunds"))


@app.command()
def retry(
    ctx: typer.Context,
    refund_id: Annotated[
        str,
        typer.Argument(metavar="REFUND_ID", callback=identifier("ref"), show_default=False),
    ],
) -> None:
    """Ask the payment provider again for a refund that failed."""
    refund = run(ctx, lambda services: services.refunds.retry(operator(), refund_id))
    emit(ctx, refund, f"retry: {refund.id} is {refund.status} ({_money(refund)})")


def _money(refund: Refund) -> str:
    return f"{refund.amount / 100:,.2f} {refund.currency}"
