"""Where an order's units come from: the fewest locations that cover it (same country,
then priority, breaking ties), a line split only when no one location has it all,
short only when every active location together is short, and each choice in words."""

from __future__ import annotations

from domain.allocation import Location, Strategy, allocate

EU = Location("eu-west", "EU West", "DE", priority=10)
US = Location("us-east", "US East", "US", priority=20)
UK = Location("uk", "UK", "GB", priority=30)


def picks_of(allocation: object) -> list[tuple[int, str, str, int]]:
    return [(p.line_no, p.sku, p.location_id, p.quantity) for p in allocation.picks]  # type: ignore[attr-defined]


def test_one_location_that_has_everything_wins_over_a_split() -> None:
    stock = {("eu-west", "A"): 5, ("us-east", "A"): 1, ("us-east", "B"): 1, ("uk", "B"): 9}
    one = allocate([("A", 1), ("B", 1)], [EU, US, UK], stock, country="DE")

    assert picks_of(one) == [(1, "A", "us-east", 1), (2, "B", "us-east", 1)]
    assert one.reasons == ("1 x A, 1 x B from us-east: fewest shipments, ships from US",)


def test_among_equally_few_the_destination_country_then_priority_goes_first() -> None:
    stock = {("eu-west", "A"): 5, ("us-east", "A"): 5, ("uk", "A"): 5}

    assert allocate([("A", 2)], [EU, US, UK], stock, country="GB").locations == ["uk"]
    assert allocate([("A", 2)], [EU, US, UK], stock, country="FR").locations == ["eu-west"]


def test_a_line_is_split_only_when_no_one_location_has_it_all() -> None:
    stock = {("eu-west", "A"): 2, ("us-east", "A"): 3}
    split = allocate([("A", 4)], [EU, US], stock, country="DE")

    assert picks_of(split) == [(1, "A", "eu-west", 2), (1, "A", "us-east", 2)]
    assert split.reasons == (
        "2 x A from eu-west: fewest shipments, same country",
        "2 x A from us-east: fewest shipments, ships from US",
    )


def test_short_only_when_every_active_location_together_is_short() -> None:
    stock = {("eu-west", "A"): 2, ("us-east", "A"): 3, ("uk", "A"): 100}
    closed = Location("uk", "UK", "GB", priority=30, active=False)

    enough = allocate([("A", 5)], [EU, US, closed], stock, country="DE")
    short = allocate([("A", 6), ("B", 1)], [EU, US, closed], stock, country="DE")

    assert enough.short == () and sum(p.quantity for p in enough.picks) == 5
    assert short.short == ("A", "B") and short.picks == ()
    assert "uk" not in enough.locations


def test_priority_takes_greedily_in_priority_order() -> None:
    stock = {("eu-west", "A"): 1, ("us-east", "A"): 5, ("eu-west", "B"): 1}
    greedy = allocate(
        [("A", 3), ("B", 1)], [US, EU], stock, country="US", strategy=Strategy.PRIORITY
    )

    # us-east is in the destination country: it goes first, whatever its priority.
    assert picks_of(greedy) == [(1, "A", "us-east", 3), (2, "B", "eu-west", 1)]
    assert greedy.reasons[0] == "3 x A from us-east: priority order, same country"


def test_the_same_sku_on_two_lines_draws_from_what_the_first_left() -> None:
    stock = {("eu-west", "A"): 3, ("us-east", "A"): 3}
    both = allocate([("A", 2), ("A", 2)], [EU, US], stock, country="DE")

    assert sum(p.quantity for p in both.picks) == 4
    assert all(p.quantity <= 3 for p in both.picks)
    assert picks_of(both)[0] == (1, "A", "eu-west", 2)
