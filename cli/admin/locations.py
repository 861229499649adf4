"""`orders-admin locations`: where stock is held and shipped from, and its stock there."""

from __future__ import annotations

import re
from typing import Annotated

import typer

from cli.admin.inputs import text
from cli.admin.session import emit, operator, run, table
from domain.allocation import Location
from services.inventory import CountStock
from services.locations import ChangeLocation

app = typer.Typer(help="List, add and change locations; count stock at one.", no_args_is_help=True)


def location_id(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", value):
        raise typer.BadParameter(f"{value!r} is not a location id (a-z, 0-9, -)")
    return value


def country(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[A-Z]{2}", value):
        raise typer.BadParameter(f"{value!r} is not an ISO country code like NL")
    return value


LocationId = Annotated[
    str,
    typer.Argument(metavar="LOCATION_ID", callback=location_id, help="The location, e.g. eu-west."),
]


@app.command("list")
def list_locations(ctx: typer.Context) -> None:
    """Locations, in priority order (lower first)."""
    found = run(ctx, lambda services: services.locations.all())
    rows = [
        (loc.id, loc.name, loc.country, loc.priority, "yes" if loc.active else "no")
        for loc in found
    ]
    emit(ctx, found, table(("ID", "NAME", "COUNTRY", "PRIORITY", "ACTIVE"), rows, "no locations"))


@app.command()
def create(
    ctx: typer.Context,
    location: LocationId,
    name: Annotated[str, typer.Option(help="Shown to operators.", callback=text(200))],
    country_: Annotated[
        str, typer.Option("--country", help="ISO 3166-1 alpha-2, e.g. NL.", callback=country)
    ],
    priority: Annotated[int, typer.Option(min=0, max=10_000, help="Lower is preferred.")] = 100,
) -> None:
    """Add a location (active at once)."""
    made = run(
        ctx,
        lambda services: services.locations.create(Location(location, name, country_, priority)),
    )
    emit(ctx, made, f"{made.id} added ({made.country}, priority {made.priority})")


@app.command()
def update(
    ctx: typer.Context,
    location: LocationId,
    priority: Annotated[
        int | None, typer.Option(min=0, max=10_000, help="Lower is preferred.")
    ] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Inactive: no new allocations.")
    ] = None,
) -> None:
    """Change a location's priority, or take it out of (or back into) allocation."""
    change = ChangeLocation(location, priority=priority, active=active)
    changed = run(ctx, lambda services: services.locations.change(change))
    state = "active" if changed.active else "inactive"
    emit(ctx, changed, f"{changed.id}: priority {changed.priority}, {state}")


@app.command()
def stock(
    ctx: typer.Context,
    location: LocationId,
    sku: Annotated[str, typer.Argument(metavar="SKU", help="The product.")],
    on_hand: Annotated[int, typer.Option(min=0, help="The units counted there.")],
    reason: Annotated[
        str, typer.Option(help="Kept in the history.", callback=text(200))
    ] = "stock count",
) -> None:
    """Set the units on hand of a sku at a location (a stock count)."""
    counted = CountStock(sku, on_hand, reason, operator().user_id, location)
    item = run(ctx, lambda services: services.inventory.count(counted))
    emit(ctx, item, f"{sku} at {location}: {item.on_hand} on hand, {item.reserved} reserved")
