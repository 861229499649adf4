"""The inputs and outputs of OrderWorkflow, its updates, signals and query.

One dataclass each, so fields can be added without breaking running histories.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.commands import LineRequest, PricedLine, ShipmentCreated
from domain.order import Address


@dataclass(frozen=True)
class StepPolicy:
    """Timeouts and retries of one activity (seconds, so the input stays plain JSON)."""

    start_to_close_seconds: float
    initial_interval_seconds: float = 1.0
    backoff_coefficient: float = 2.0
    maximum_interval_seconds: float = 30.0
    maximum_attempts: int = 0  # 0: until the step's schedule-to-close bound


@dataclass(frozen=True)
class SagaPolicy:
    """Bounds taken from settings when the order starts, then fixed for its life."""

    review_threshold: int
    review_timeout_seconds: float
    payment_bound_seconds: float
    shipping_bound_seconds: float
    capture_bound_seconds: float
    compensation_bound_seconds: float
    # Added later: histories that predate them decode with the defaults.
    steps: dict[str, StepPolicy] = field(default_factory=dict)
    provider_queues: dict[str, str] = field(default_factory=dict)
    # How long to wait for a carrier webhook before asking the carrier (0: never ask);
    # each silent poll doubles the wait, up to the longest.
    tracking_poll_seconds: float = 0.0
    tracking_poll_max_seconds: float = 6 * 3600.0
    # A parcel not delivered this long after booking is flagged for an operator.
    delivery_window_seconds: float = 30 * 86400.0
    # How long a capture is retried once the parcel can no longer be called back
    # (an authorization holds for days), before the order goes to an operator.
    authorization_hold_seconds: float = 5 * 86400.0


@dataclass(frozen=True)
class CarrierUpdate:
    """A carrier's report as the workflow takes it, by webhook signal or by polling."""

    event: str  # a domain.order.CarrierEvent value
    occurred_at: str
    tracking_number: str | None = None  # which parcel (None in histories from before)


@dataclass(frozen=True)
class TrackingState:
    """What tracking carries into the next run when a long wait continues as new."""

    total: int
    shipment: ShipmentCreated
    shipped_at: str  # ISO 8601, the start of the delivery window
    poll_seconds: float  # the current wait before asking the carrier
    seen_events: list[CarrierUpdate]
    pending_events: list[CarrierUpdate]
    flags: list[str]
    first_placement_id: str | None = None
    last_event: str = "none yet"
    # Split orders: every parcel, and those delivered (by tracking number).
    parcels: list[ShipmentCreated] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OrderWorkflowInput:
    order_id: str
    customer_id: str
    customer_tier: str
    lines: list[LineRequest]
    shipping_address: Address
    payment_token: str
    currency: str
    idempotency_key: str
    fingerprint: str
    policy: SagaPolicy
    # Set when a run in tracking continued as new: the order is shipped, it tracks on.
    tracking: TrackingState | None = None


@dataclass(frozen=True)
class PlacementRequest:
    fingerprint: str


@dataclass(frozen=True)
class Placement:
    """The answer to POST /v1/orders: reserved, or why not."""

    order_id: str
    reserved: bool
    replayed: bool
    refused_skus: list[str]
    unavailable_skus: list[str]


@dataclass(frozen=True)
class ReviewDecision:
    approve: bool
    reviewer_id: str
    note: str | None = None


@dataclass(frozen=True)
class CancelRequest:
    reason: str | None = None
    requested_by: str | None = None


@dataclass(frozen=True)
class EditRequest:
    """An edit before fulfillment: the new full list of lines and/or a new address."""

    edit_id: str  # from the caller's Idempotency-Key; a fresh one for a dry run
    fingerprint: str  # of the request's body: the same key with another body is refused
    lines: list[LineRequest] | None = None
    shipping_address: Address | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class EditOutcome:
    """What the edit made of the order (or would make, on a dry run)."""

    total: int
    difference: int  # > 0: authorized on top; < 0: released when the payment is taken
    lines: list[PricedLine]
    dry_run: bool = False
    held_for_review: bool = False  # the new total sends the order back to review


@dataclass(frozen=True)
class OrderView:
    """Where the order stands: the answer to cancel, review and the status query, and
    the workflow's result."""

    order_id: str
    status: str
    failure_reason: str | None = None
