"""`orders-admin check`: the invariants of the books, one line per violation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated

import typer

from cli.admin.inputs import identifiers
from cli.admin.session import Exit, Session, as_json, outcome_of
from infra.bootstrap import Bootstrap
from infra.settings import Settings
from services.books import check as check_books
from services.books import report


def check(
    ctx: typer.Context,
    orders: Annotated[
        list[str] | None,
        typer.Option(
            "--order",
            metavar="ORDER_ID",
            help="Only this order (repeatable).",
            callback=identifiers("ord"),
        ),
    ] = None,
    grace: Annotated[
        float,
        typer.Option(
            metavar="SECONDS",
            min=0,
            help="How long an order may be in flight before it must be finished or waiting.",
        ),
    ] = 30.0,
    no_temporal: Annotated[
        bool, typer.Option("--no-temporal", help="Do not ask Temporal which orders still run.")
    ] = False,
) -> None:
    """Check stock, money and shipping against the providers; exit 1 on any violation."""
    session: Session = ctx.obj
    code = outcome_of(
        session.settings,
        lambda: run_check(session.settings, orders, grace, no_temporal, as_json_=session.json),
    )
    raise typer.Exit(code)


async def run_check(
    settings: Settings,
    orders: Sequence[str] | None,
    grace: float = 30.0,
    no_temporal: bool = False,
    *,
    as_json_: bool = False,
) -> int:
    """Prints every violation on one line (or as JSON); returns the exit code."""
    async with Bootstrap(settings) as boot:
        temporal = None if no_temporal else await boot.temporal()
        violations = await check_books(
            settings, order_ids=orders, grace=timedelta(seconds=grace), temporal=temporal
        )
    scope = f"{len(orders)} order(s)" if orders else "every order"
    print(
        as_json({"checked": scope, "violations": [str(v) for v in violations]})
        if as_json_
        else report(violations, scope)
    )
    return Exit.VIOLATIONS if violations else Exit.OK
