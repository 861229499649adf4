"""`orders-admin outbox`: the deliveries a sink gave up on (parked), listed, retried
or dropped. A parked entry holds nothing back; it waits here for a decision."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.admin.session import emit, run, table

app = typer.Typer(help="List, retry and drop parked outbox deliveries.", no_args_is_help=True)

Sink = Annotated[
    str | None,
    typer.Option(help="Only this sink's: email, amqp or kafka (default: every sink)."),
]
EntryIds = Annotated[
    list[int],
    typer.Argument(metavar="ENTRY_ID...", help="Timeline entry ids, as `list` shows them.", min=1),
]


@app.command("list")
def list_parked(
    ctx: typer.Context,
    sink: Sink = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many.")] = 100,
) -> None:
    """Parked deliveries, oldest entry first, with the last error."""
    parked = run(ctx, lambda services: services.parked_deliveries.waiting(sink=sink, limit=limit))
    rows = [
        (p.event_id, p.sink, p.order_id, p.type, p.attempts, p.parked_at, p.last_error)
        for p in parked
    ]
    headers = ("ENTRY", "SINK", "ORDER", "TYPE", "ATTEMPTS", "PARKED", "LAST ERROR")
    emit(ctx, parked, table(headers, rows, "nothing parked"))


@app.command()
def retry(ctx: typer.Context, entry_ids: EntryIds, sink: Sink = None) -> None:
    """Put parked deliveries back in line, with fresh attempts."""
    count = run(ctx, lambda services: services.parked_deliveries.retry(entry_ids, sink=sink))
    emit(ctx, {"retried": count}, f"{count} delivery(ies) back in line")


@app.command()
def drop(ctx: typer.Context, entry_ids: EntryIds, sink: Sink = None) -> None:
    """Give up on parked deliveries for good: the sink never gets those entries."""
    count = run(ctx, lambda services: services.parked_deliveries.drop(entry_ids, sink=sink))
    emit(ctx, {"dropped": count}, f"{count} delivery(ies) dropped")
