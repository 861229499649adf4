"""Order edits before fulfillment: the new lines priced, where their units come from,
which units to hold now and which to free once the edit is applied, and what the
customer pays more (or has released).

Units already on the order keep the price they were sold at; a sku the edit adds is
priced as the catalog prices it today. An edit that keeps the destination country
keeps every unit where it is held and allocates only the added ones; a new country
allocates the whole order again (docs/edits.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from domain.allocation import Location, Pick, Strategy, allocate
from domain.money import Money
from domain.order import OrderLine, quantities_by_sku

Place = tuple[str, str]  # (location id, sku)


@dataclass(frozen=True)
class EditPlan:
    lines: tuple[OrderLine, ...]  # the order's new full list of lines
    picks: tuple[Pick, ...]  # where every unit of the new lines is held
    hold: dict[Place, int]  # units to hold now, beyond what the order holds there
    free: dict[Place, int]  # units to let go once the edit is applied
    total: int
    difference: int  # new total - old total (> 0: the customer pays more)
    short: tuple[str, ...]  # skus no active location has enough of
    reasons: tuple[str, ...]  # the allocation of what moved, in words


def merged(lines: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """One line per sku, in the order first named (a sku named twice adds up)."""
    return list(quantities_by_sku(_Line(sku, quantity) for sku, quantity in lines).items())


def priced(
    wanted: Sequence[tuple[str, int]],
    current: Sequence[OrderLine],
    catalog: Mapping[str, int],
    currency: str,
) -> tuple[OrderLine, ...]:
    """The new lines at the price each unit was sold at, or today's for a new sku."""
    sold_at = {line.sku: line.unit_price.amount for line in current}
    return tuple(
        OrderLine(sku, quantity, Money(sold_at.get(sku, catalog.get(sku, 0)), currency))
        for sku, quantity in wanted
    )


def plan_edit(
    lines: tuple[OrderLine, ...],
    old_total: int,
    held: Sequence[Pick],
    locations: Sequence[Location],
    available: Mapping[Place, int],
    *,
    country: str,
    country_changed: bool,
    strategy: Strategy = Strategy.FEWEST_SHIPMENTS,
) -> EditPlan:
    """Where the new lines' units come from, given what the order holds (`held`) and
    what is free besides (`available`)."""
    wanted = [(line.sku, line.quantity) for line in lines]
    if country_changed:
        # Everything is allocated again; what the order holds counts as free for it.
        free_for_it = dict(available)
        for pick in held:
            place = (pick.location_id, pick.sku)
            free_for_it[place] = free_for_it.get(place, 0) + pick.quantity
        allocation = allocate(wanted, locations, free_for_it, country=country, strategy=strategy)
        picks, short, reasons = allocation.picks, allocation.short, allocation.reasons
    else:
        kept = _kept(held, dict(wanted))
        extra = [
            (sku, quantity - sum(p.quantity for p in kept if p.sku == sku))
            for sku, quantity in wanted
        ]
        extra = [(sku, quantity) for sku, quantity in extra if quantity > 0]
        allocation = allocate(extra, locations, available, country=country, strategy=strategy)
        line_of = {sku: number for number, (sku, _) in enumerate(wanted, start=1)}
        added = tuple(
            Pick(line_of[pick.sku], pick.sku, pick.location_id, pick.quantity)
            for pick in allocation.picks
        )
        kept_picks = tuple(Pick(line_of[p.sku], p.sku, p.location_id, p.quantity) for p in kept)
        picks = _merged_picks(kept_picks + added)
        short, reasons = allocation.short, allocation.reasons
    before, after = _by_place(held), _by_place(picks)
    total = sum(line.line_total.amount for line in lines)
    return EditPlan(
        lines=lines,
        picks=tuple(picks),
        hold={p: n - before.get(p, 0) for p, n in after.items() if n > before.get(p, 0)},
        free={p: n - after.get(p, 0) for p, n in before.items() if n > after.get(p, 0)},
        total=total,
        difference=total - old_total,
        short=tuple(short),
        reasons=tuple(reasons),
    )


def _kept(held: Sequence[Pick], wanted: Mapping[str, int]) -> list[Pick]:
    """The units the order holds that it still wants: fewer of a sku are let go from the
    location allocated last first."""
    left = dict(wanted)
    kept = []
    for pick in held:
        taking = min(pick.quantity, left.get(pick.sku, 0))
        if taking:
            kept.append(Pick(pick.line_no, pick.sku, pick.location_id, taking))
            left[pick.sku] -= taking
    return kept


def _merged_picks(picks: Sequence[Pick]) -> tuple[Pick, ...]:
    """One pick per line and location: units added where the line already has some
    are added to them."""
    units: dict[tuple[int, str, str], int] = {}
    for pick in picks:
        key = (pick.line_no, pick.sku, pick.location_id)
        units[key] = units.get(key, 0) + pick.quantity
    return tuple(Pick(line, sku, location, n) for (line, sku, location), n in units.items())


def _by_place(picks: Sequence[Pick]) -> dict[Place, int]:
    units: dict[Place, int] = {}
    for pick in picks:
        place = (pick.location_id, pick.sku)
        units[place] = units.get(place, 0) + pick.quantity
    return units


@dataclass(frozen=True)
class _Line:
    sku: str
    quantity: int
