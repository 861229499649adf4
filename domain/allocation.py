"""Where an order's units are taken from: a pure decision over the active locations'
available stock, explained in words for the order's timeline.

`fewest_shipments` (the default) looks for the fewest locations that can cover the
whole order together, preferring locations in the destination country, then lower
`priority`; within them each line comes from one location when one has it all, and is
split only when none has. `priority` walks the locations in priority order and takes
what each has, line by line. Either way an order is short only when all active
locations together are short of a sku.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import combinations


class Strategy(StrEnum):
    FEWEST_SHIPMENTS = "fewest_shipments"
    PRIORITY = "priority"


@dataclass(frozen=True)
class Location:
    id: str
    name: str
    country: str
    priority: int = 100  # lower goes first
    active: bool = True


@dataclass(frozen=True)
class Pick:
    """`quantity` units of line `line_no` (its sku) held at `location_id`."""

    line_no: int
    sku: str
    location_id: str
    quantity: int


@dataclass(frozen=True)
class Allocation:
    picks: tuple[Pick, ...]
    short: tuple[str, ...]  # skus all active locations together cannot cover
    reasons: tuple[str, ...]  # one sentence per location used, for the timeline

    @property
    def locations(self) -> list[str]:
        return sorted({pick.location_id for pick in self.picks})


# The most locations whose every combination is tried; past that, the preferred ones.
EXHAUSTIVE_UP_TO = 12


def allocate(
    lines: Sequence[tuple[str, int]],
    locations: Sequence[Location],
    available: Mapping[tuple[str, str], int],
    *,
    country: str,
    strategy: Strategy = Strategy.FEWEST_SHIPMENTS,
) -> Allocation:
    """`lines` are (sku, quantity) in the order's line order (numbered from 1, as the
    order's lines are); `available` is keyed by (location id, sku)."""
    ranked = sorted(
        (location for location in locations if location.active),
        key=lambda location: (location.country != country, location.priority, location.id),
    )
    wanted: dict[str, int] = {}
    for sku, quantity in lines:
        wanted[sku] = wanted.get(sku, 0) + quantity
    short = tuple(
        sorted(
            sku
            for sku, quantity in wanted.items()
            if sum(available.get((location.id, sku), 0) for location in ranked) < quantity
        )
    )
    if short:
        return Allocation((), short, ())
    if strategy is Strategy.FEWEST_SHIPMENTS:
        chosen = _fewest(wanted, ranked, available)
        why = "fewest shipments"
    else:
        chosen = ranked
        why = "priority order"
    picks = _pick(lines, chosen, available)
    return Allocation(tuple(picks), (), tuple(_reasons(picks, chosen, why, country)))


def _fewest(
    wanted: Mapping[str, int], ranked: Sequence[Location], available: Mapping[tuple[str, str], int]
) -> list[Location]:
    """The first (most preferred) smallest set of locations that covers every sku."""
    candidates = list(ranked[:EXHAUSTIVE_UP_TO])
    for size in range(1, len(candidates) + 1):
        for group in combinations(candidates, size):
            if all(
                sum(available.get((location.id, sku), 0) for location in group) >= quantity
                for sku, quantity in wanted.items()
            ):
                return list(group)
    return list(ranked)  # more than EXHAUSTIVE_UP_TO needed: every one, in order


def _pick(
    lines: Sequence[tuple[str, int]],
    chosen: Sequence[Location],
    available: Mapping[tuple[str, str], int],
) -> list[Pick]:
    left = {
        (location.id, sku): available.get((location.id, sku), 0)
        for location in chosen
        for sku, _ in lines
    }
    picks: list[Pick] = []
    for line_no, (sku, quantity) in enumerate(lines, start=1):
        whole = next((loc for loc in chosen if left[(loc.id, sku)] >= quantity), None)
        sources = [whole] if whole is not None else list(chosen)
        needed = quantity
        for location in sources:
            taken = min(needed, left[(location.id, sku)])
            if taken:
                left[(location.id, sku)] -= taken
                picks.append(Pick(line_no, sku, location.id, taken))
                needed -= taken
            if not needed:
                break
    return picks


def _reasons(
    picks: Sequence[Pick], chosen: Sequence[Location], why: str, country: str
) -> list[str]:
    """'2 x SKU-1 from eu-west: fewest shipments, same country', per location used."""
    reasons = []
    for location in chosen:
        taken = [pick for pick in picks if pick.location_id == location.id]
        if not taken:
            continue
        items = ", ".join(f"{pick.quantity} x {pick.sku}" for pick in taken)
        where = "same country" if location.country == country else f"ships from {location.country}"
        reasons.append(f"{items} from {location.id}: {why}, {where}")
    return reasons
