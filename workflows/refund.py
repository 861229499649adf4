"""RefundWorkflow: one refund, from the ledger to the provider, durably.

The refund is already recorded (`pending`) when this starts, checked against what
was captured. The provider is asked under the refund's own idempotency key, retried
with backoff until the refund's bound; a refusal or the bound ends it `failed`, on
the order's timeline and counted for the RefundFailed alert, never silently lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import FailureError

from domain.commands import IssueRefund, RecordRefundFailure
from workflows import steps

# Activities are only named here, never run in the sandbox: the worker's copy is used.
with workflow.unsafe.imports_passed_through():
    from activities.refunds import RefundActivities


@dataclass(frozen=True)
class RefundInput:
    refund_id: str
    order_id: str
    amount: int
    currency: str
    bound_seconds: float  # how long the provider is asked before an operator is
    payment_queue: str | None = None  # the payment provider's task queue


@workflow.defn
class RefundWorkflow:
    @workflow.run
    async def run(self, refund: RefundInput) -> str:
        money = f"{refund.amount / 100:,.2f} {refund.currency}"
        workflow.set_current_details(f"Waiting for the payment provider to refund {money}.")
        issue = RefundActivities.issue_refund
        options = steps.options(steps.step_of(issue), None, refund.payment_queue)
        options["schedule_to_close_timeout"] = timedelta(seconds=refund.bound_seconds)
        try:
            return str(
                await workflow.execute_activity_method(
                    issue,
                    IssueRefund(refund.refund_id),
                    summary=f"refund {money} of order {refund.order_id}",
                    **options,
                )
            )
        except FailureError as error:
            why = str(error.cause or error)
        record = RefundActivities.record_refund_failure
        await workflow.execute_local_activity_method(
            record,
            RecordRefundFailure(refund.refund_id, why),
            summary=f"record that refund {refund.refund_id} failed",
            **steps.options(steps.step_of(record), None, None),
        )
        workflow.set_current_details(
            f"NEEDS AN OPERATOR: the refund of {money} failed ({why}); see the "
            "'refund failed' runbook in docs/operations.md"
        )
        return "failed"
