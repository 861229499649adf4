"""`orders-admin claims`: refund or replace delivered units that arrived damaged, short
or wrong, without a return; list an order's claims."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer

from cli.admin.inputs import identifier
from cli.admin.session import emit, operator, run, table
from domain.claims import Claim, ClaimType
from domain.eligibility import Wanted
from domain.identity import request_fingerprint
from domain.returns import ClaimReason
from services.claims import OpenClaim

app = typer.Typer(help="Refund or replace delivered units; list claims.", no_args_is_help=True)

OrderId = Annotated[
    str, typer.Argument(metavar="ORDER_ID", callback=identifier("ord"), show_default=False)
]


@app.command("open")
def open_claim(
    ctx: typer.Context,
    order_id: OrderId,
    kind: Annotated[ClaimType, typer.Option("--type", help="refund, or replace.")],
    item: Annotated[list[str], typer.Option(help="SKU=QUANTITY, e.g. MUG-RED=1 (repeat per sku).")],
    reason: Annotated[ClaimReason, typer.Option(help="Why.")] = ClaimReason.DAMAGED,
    key: Annotated[
        str | None, typer.Option(help="Idempotency key: the same key opens it once.")
    ] = None,
) -> None:
    """Refund the units' value, or ship them again at no charge."""
    lines = [_line(text, reason) for text in item]
    body = {"type": kind.value, "items": [[w.sku, w.quantity, w.reason.value] for w in lines]}
    command = OpenClaim(
        order_id, operator(), kind, lines, key or uuid.uuid4().hex, request_fingerprint(body)
    )
    opened = run(ctx, lambda services: services.claims.open(command))
    emit(ctx, opened.claim, f"claim {opened.claim.id} ({kind}) is {opened.claim.status}")


@app.command("list")
def list_claims(ctx: typer.Context, order_id: OrderId) -> None:
    """An order's claims, oldest first."""
    found = run(ctx, lambda services: services.claims.of_order(operator(), order_id))
    rows = [(c.id, c.type, c.status, _units(c), c.refund_id or "", c.created_at) for c in found]
    emit(
        ctx, found, table(("ID", "TYPE", "STATUS", "UNITS", "REFUND", "OPENED"), rows, "no claims")
    )


def _line(text: str, reason: ClaimReason) -> Wanted:
    sku, _, quantity = text.partition("=")
    if not sku or not quantity.isdigit() or int(quantity) < 1:
        raise typer.BadParameter(f"{text!r}: expected SKU=QUANTITY")
    return Wanted(sku, int(quantity), reason)


def _units(claim: Claim) -> str:
    return ", ".join(f"{item.quantity} x {item.sku}" for item in claim.items)
