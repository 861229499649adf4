"""What must hold between our books and the providers' once orders have settled.

Pure rules over plain facts: the caller gathers the facts (orders and stock from the
database, authorizations from the payment provider, shipments from the carrier) and
gets back every violation, each naming its rule and what it is about.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from domain import events
from domain.order import OrderStatus, ShipmentStatus, StockStatus

# The only statuses an order may rest in without being finished, and what it waits for.
WAITING_FOR = {OrderStatus.AWAITING_REVIEW: "review", OrderStatus.SHIPPED: "delivery"}
# The timeline entry that must be there for an order to show a status.
PROOF_OF_STATUS = {
    OrderStatus.RESERVED: events.INVENTORY_RESERVED,
    OrderStatus.AWAITING_REVIEW: events.REVIEW_REQUESTED,
    OrderStatus.AUTHORIZED: events.PAYMENT_AUTHORIZED,
    OrderStatus.SHIPPED: events.SHIPMENT_CREATED,
    OrderStatus.DELIVERED: events.SHIPMENT_DELIVERED,
    OrderStatus.CANCELLED: events.ORDER_CANCELLED,
    OrderStatus.FAILED: events.ORDER_FAILED,
}
STOCK_AT_THE_END = {
    OrderStatus.DELIVERED: {StockStatus.COMMITTED},
    OrderStatus.CANCELLED: {StockStatus.NONE, StockStatus.RELEASED, StockStatus.RESTOCKED},
    OrderStatus.FAILED: {StockStatus.NONE, StockStatus.RELEASED, StockStatus.RESTOCKED},
}
# ... except that units which left with a parcel nobody could call back stay committed.
GONE_WITH_THE_PARCEL = {
    status.value
    for status in (ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED, ShipmentStatus.EXCEPTION)
}


@dataclass(frozen=True)
class OrderFacts:
    id: str
    status: OrderStatus
    stock_status: StockStatus
    total: int
    lines: dict[str, int]  # sku -> quantity
    timeline: list[str]  # event types, oldest first
    settled: bool = True  # False while the order is young enough to be in flight
    workflow_running: bool | None = None  # None: not asked
    parcels: int = 1  # the parcels it ships in (one per location its units are at)
    captured: int | None = None  # what our books say was captured (None: not gathered)
    refunded: int = 0  # every refund that counts (pending or succeeded), in our ledger


@dataclass(frozen=True)
class StockFacts:
    sku: str
    on_hand: int
    reserved: int


@dataclass(frozen=True)
class Authorization:
    id: str
    reference: str
    amount: int
    status: str  # authorized, partially_captured, captured, voided, refunded, ...
    captured: int | None = None  # None: the whole amount once captured (a ledger of before)
    refunded: int = 0

    @property
    def taken(self) -> int:
        """What was captured of it."""
        if self.captured is not None:
            return self.captured
        return self.amount if self.status in ("captured", "refunded") else 0


@dataclass(frozen=True)
class Shipment:
    id: str
    reference: str
    status: str  # created, in_transit, delivered, exception, cancelled


@dataclass(frozen=True)
class ReturnFacts:
    """A return, or a claim (units compensated without coming back)."""

    id: str
    order_id: str
    status: str  # domain/returns.py ReturnStatus, or domain/claims.py ClaimStatus
    units: dict[str, int]  # sku -> quantity returned or claimed
    refund_amount: int | None = None  # set at receipt (0: nothing to refund)
    refund_status: str | None = None  # the ledger's word on that refund
    holds_units: bool | None = None  # None: as its status says (a return's)

    @property
    def holds(self) -> bool:
        return self.status not in RETURN_LET_GO if self.holds_units is None else self.holds_units


# Returns that hold units (their own, or coming back): every other one let them go.
RETURN_LET_GO = ("rejected", "cancelled", "expired")


@dataclass(frozen=True)
class Violation:
    rule: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule:<9} {self.subject}: {self.detail}"


@dataclass
class Facts:
    orders: list[OrderFacts]
    stock: list[StockFacts]
    authorizations: list[Authorization]
    shipments: list[Shipment]
    # The held lines of every order of these skus, not only the orders checked.
    held_by_sku: dict[str, int] = field(default_factory=dict)
    # Whether every order is in `orders`, so a provider record with no order is one.
    complete: bool = True
    # Per sku, every adjustment summed (opening stock included), and the units of every
    # order whose stock left with a parcel and stayed gone. None: not gathered.
    adjusted_by_sku: dict[str, int] | None = None
    shipped_by_sku: dict[str, int] = field(default_factory=dict)
    # Per (location, sku): units reserved there, and the units orders hold there by
    # their allocation. None: not gathered.
    reserved_by_place: dict[tuple[str, str], int] | None = None
    held_by_place: dict[tuple[str, str], int] = field(default_factory=dict)
    # Per (location, sku): units on hand there, every adjustment made there, and the
    # units that left from there with a parcel. None: not gathered.
    on_hand_by_place: dict[tuple[str, str], int] | None = None
    adjusted_by_place: dict[tuple[str, str], int] = field(default_factory=dict)
    shipped_by_place: dict[tuple[str, str], int] = field(default_factory=dict)
    # The returns of the orders checked (every one, when complete), and per order the
    # units its delivered parcels carried (replacements and exchanges included). None:
    # not gathered, the units ordered stand in.
    returns: list[ReturnFacts] = field(default_factory=list)
    delivered_by_order: dict[str, dict[str, int]] | None = None


def find_violations(facts: Facts) -> list[Violation]:
    return [
        *stock_violations(facts),
        *money_violations(facts),
        *shipping_violations(facts),
        *return_violations(facts),
        *liveness_violations(facts.orders),
    ]


def stock_violations(facts: Facts) -> Iterable[Violation]:
    for item in facts.stock:
        if item.on_hand < 0 or item.reserved < 0:
            yield Violation("stock", item.sku, f"negative: {item.on_hand} on hand, {item.reserved}")
        if item.reserved > item.on_hand:
            yield Violation(
                "stock", item.sku, f"{item.reserved} reserved of only {item.on_hand} on hand"
            )
        held = facts.held_by_sku.get(item.sku, 0)
        if held != item.reserved:
            yield Violation(
                "stock", item.sku, f"{item.reserved} reserved but orders hold {held} units"
            )
        if facts.adjusted_by_sku is not None:
            # on_hand moves only by adjustments, by units leaving with a parcel, and by
            # units coming back from a parcel that was called off.
            expected = facts.adjusted_by_sku.get(item.sku, 0) - facts.shipped_by_sku.get(
                item.sku, 0
            )
            if item.on_hand != expected:
                yield Violation(
                    "stock",
                    item.sku,
                    f"{item.on_hand} on hand, but adjustments less units shipped make {expected}",
                )
    if facts.reserved_by_place is not None:
        for place in sorted(set(facts.reserved_by_place) | set(facts.held_by_place)):
            reserved = facts.reserved_by_place.get(place, 0)
            held = facts.held_by_place.get(place, 0)
            if reserved != held:
                location, sku = place
                yield Violation(
                    "stock",
                    f"{sku}@{location}",
                    f"{reserved} reserved but orders hold {held} there",
                )
    if facts.on_hand_by_place is not None:
        # Each location's shelf moves only by its adjustments and the parcels that left
        # from it (a called-off parcel's units come back where they left).
        for place in sorted(set(facts.on_hand_by_place) | set(facts.adjusted_by_place)):
            on_hand = facts.on_hand_by_place.get(place, 0)
            expected = facts.adjusted_by_place.get(place, 0) - facts.shipped_by_place.get(place, 0)
            if on_hand != expected:
                location, sku = place
                yield Violation(
                    "stock",
                    f"{sku}@{location}",
                    f"{on_hand} on hand, but its adjustments less units shipped from there "
                    f"make {expected}",
                )
    parcels: dict[str, set[str]] = defaultdict(set)
    for shipment in facts.shipments:
        parcels[shipment.reference].add(shipment.status)
    for order in facts.orders:
        allowed = STOCK_AT_THE_END.get(order.status)
        gone = bool(parcels.get(order.id, set()) & GONE_WITH_THE_PARCEL)
        if order.stock_status is StockStatus.RESTOCKED and gone:
            yield Violation("stock", order.id, "restocked units that left with a parcel")
        elif allowed is not None and order.stock_status not in allowed:
            if not (order.stock_status is StockStatus.COMMITTED and gone):
                yield Violation(
                    "stock", order.id, f"{order.status.value} order has stock {order.stock_status}"
                )


def money_violations(facts: Facts) -> Iterable[Violation]:
    by_order: dict[str, list[Authorization]] = defaultdict(list)
    for auth in facts.authorizations:
        by_order[auth.reference].append(auth)
    # An exchange's difference is authorized under its return's id.
    known = {order.id for order in facts.orders} | {rma.id for rma in facts.returns}
    for order in facts.orders:
        auths = by_order.get(order.id, [])
        settled = ("captured", "partially_refunded", "refunded")
        captured = [
            a
            for a in auths
            if a.status == "captured"
            or (
                a.status in settled and order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED)
            )
        ]
        held = [a for a in auths if a.status in ("authorized", "partially_captured")]
        for auth in auths:
            if auth.taken > auth.amount:
                yield Violation(
                    "money", order.id, f"{auth.taken} captured of {auth.amount} authorized"
                )
            if auth.refunded > auth.taken:
                yield Violation(
                    "money", order.id, f"{auth.refunded} refunded of {auth.taken} captured"
                )
        if order.captured is not None and order.refunded > order.captured:
            yield Violation(
                "money",
                order.id,
                f"refunds of {order.refunded} on {order.captured} captured",
            )
        if order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            # Every parcel is booked: the parts captured add up to what shipped, the total.
            taken = sum(a.taken for a in auths if a.status != "voided")
            if len(captured) != 1 or taken != order.total:
                amounts = [a.taken for a in auths if a.taken]
                yield Violation(
                    "money", order.id, f"captures {amounts} for a total of {order.total}"
                )
            elif order.captured is not None and order.captured != taken:
                yield Violation(
                    "money",
                    order.id,
                    f"our books captured {order.captured}, the provider {taken}",
                )
            if held:
                yield Violation("money", order.id, f"{len(held)} authorization(s) left open")
        elif order.status in (OrderStatus.FAILED, OrderStatus.CANCELLED):
            if captured or held:
                yield Violation(
                    "money",
                    order.id,
                    f"{order.status.value} but {len(captured)} captured "
                    f"and {len(held)} open authorization(s)",
                )
        elif captured or (order.settled and len(held) > 1):
            yield Violation(
                "money", order.id, f"{len(captured)} captured, {len(held)} open before shipping"
            )
    if facts.complete:
        for reference in sorted(set(by_order) - known):
            yield Violation("money", reference, "the provider holds payments for no such order")


def shipping_violations(facts: Facts) -> Iterable[Violation]:
    live: Counter[str] = Counter(s.reference for s in facts.shipments if s.status != "cancelled")
    # A return's label is a parcel too, under the return's id.
    known = {order.id for order in facts.orders} | {rma.id for rma in facts.returns}
    for order in facts.orders:
        count = live.get(order.id, 0)
        if count > order.parcels:
            yield Violation(
                "shipping", order.id, f"{count} live shipments for {order.parcels} parcel(s)"
            )
        if order.status in (OrderStatus.FAILED, OrderStatus.CANCELLED) and count:
            yield Violation("shipping", order.id, f"{order.status.value} with a live shipment")
        if order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED) and count != order.parcels:
            yield Violation(
                "shipping",
                order.id,
                f"{order.status.value} with {count} shipments for {order.parcels} parcel(s)",
            )
    if facts.complete:
        for reference in sorted(set(live) - known):
            yield Violation("shipping", reference, "the carrier ships for no such order")


def return_violations(facts: Facts) -> Iterable[Violation]:
    """Every unit is returned at most once, and every return that ended has its money
    settled: a closed one refunded (or owed nothing), one that let its units go never
    refunded."""
    asked: dict[str, Counter[str]] = defaultdict(Counter)
    for rma in facts.returns:
        if rma.holds:
            asked[rma.order_id].update(rma.units)
        paid = rma.status in ("closed", "refunded")  # a return closed, a claim refunded
        if paid and rma.refund_amount and rma.refund_status != "succeeded":
            yield Violation(
                "returns", rma.id, f"closed with its refund {rma.refund_status or 'missing'}"
            )
        if not rma.holds and rma.refund_amount is not None:
            yield Violation("returns", rma.id, f"{rma.status} but refunded {rma.refund_amount}")
    for order in facts.orders:
        delivered = (
            order.lines
            if facts.delivered_by_order is None
            else facts.delivered_by_order.get(order.id, {})
        )
        for sku, units in sorted(asked.get(order.id, Counter()).items()):
            if units > delivered.get(sku, 0):
                yield Violation(
                    "returns",
                    order.id,
                    f"{units} units of {sku} returned or claimed of "
                    f"{delivered.get(sku, 0)} delivered",
                )


def liveness_violations(orders: Iterable[OrderFacts]) -> Iterable[Violation]:
    for order in orders:
        proof = PROOF_OF_STATUS.get(order.status)
        if proof is not None and proof not in order.timeline:
            yield Violation("liveness", order.id, f"{order.status.value} but no {proof} entry")
        if not order.settled:
            continue
        if order.status.is_terminal:
            if order.workflow_running:
                yield Violation("liveness", order.id, f"{order.status.value} but still running")
            continue
        if order.status not in WAITING_FOR:
            yield Violation("liveness", order.id, f"stuck in {order.status.value}")
        elif order.workflow_running is False:
            reason = WAITING_FOR[order.status]
            yield Violation("liveness", order.id, f"waits for {reason}, but nothing runs it")
