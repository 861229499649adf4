"""ClaimWorkflow: one claim, from the operator's decision to its compensation
(`claim-<id>`). A refund claim's refund is already recorded: it is paid as a child
RefundWorkflow, whose success or failure the claim follows. A replacement's units are
already held: it is booked with the carrier as a parcel of the order (its units then
leave the shelf); no carrier within the bound puts them back and fails the claim."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import FailureError

from domain.commands import ReleaseReplacement, ShipReplacement
from workflows import steps
from workflows.attention import Stuck, needs_operator
from workflows.refund import RefundInput, RefundWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.claims import ClaimActivities


@dataclass(frozen=True)
class ClaimInput:
    claim_id: str
    order_id: str
    type: str  # refund or replace
    refund_id: str | None
    value: int
    currency: str
    ship_bound_seconds: float
    refund_bound_seconds: float
    carrier_queue: str | None = None
    payment_queue: str | None = None


@workflow.defn
class ClaimWorkflow:
    @workflow.run
    async def run(self, claim: ClaimInput) -> str:
        if claim.type == "refund" and claim.refund_id is None:
            return "refunded"  # units that cost nothing: settled when opened
        if claim.type == "refund" and claim.refund_id is not None:
            workflow.set_current_details("Paying the claim back.")
            return str(
                await workflow.execute_child_workflow(
                    RefundWorkflow.run,
                    RefundInput(
                        claim.refund_id,
                        claim.order_id,
                        claim.value,
                        claim.currency,
                        claim.refund_bound_seconds,
                        claim.payment_queue,
                    ),
                    id=f"refund-{claim.refund_id}",
                    static_summary=f"Refund of claim {claim.claim_id}",
                )
            )
        workflow.set_current_details("Booking the replacement with the carrier.")
        ship = ClaimActivities.ship_replacement
        options = steps.options(steps.step_of(ship), None, claim.carrier_queue)
        options["schedule_to_close_timeout"] = timedelta(seconds=claim.ship_bound_seconds)
        try:
            await workflow.execute_activity_method(
                ship,
                ShipReplacement(claim.claim_id),
                summary=f"ship the replacement of claim {claim.claim_id}",
                **options,
            )
            return "shipped"
        except FailureError as error:
            why = str(error.cause or error)
        release = ClaimActivities.release_replacement
        await workflow.execute_local_activity_method(
            release,
            ReleaseReplacement(claim.claim_id, why),
            summary="put the replacement's units back",
            **steps.options(steps.step_of(release), None, None),
        )
        needs_operator(Stuck.CLAIM_REPLACEMENT, f"the replacement failed ({why}).")
        return "failed"
