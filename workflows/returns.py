"""ReturnWorkflow: one return, from the request to its refund (`return-<id>`).

The return's decisions are taken where they are asked for, in one transaction each
(services/returns.py): a review, the warehouse's receipt, a cancel. This workflow does
what must happen durably between them: it approves a return that needs no review,
gets the label from the carrier, holds the ship-by deadline, pays back what came back
(a RefundWorkflow of its own), and calls an unused label off. The service signals
each decision; without the signal the workflow still reads the return at its
deadline, and daily while the parcel is on its way, so a lost signal only delays.

The order's own workflow and history are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import FailureError

from domain.commands import (
    AuthorizeExchange,
    RecordLabelFailure,
    ReleaseExchange,
    ReturnState,
    ReturnStep,
)
from domain.returns import ReturnStatus
from workflows import steps
from workflows.attention import Stuck, needs_operator
from workflows.refund import RefundInput, RefundWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.exchanges import ExchangeActivities
    from activities.returns import ReturnActivities

# While the parcel is on its way the return has no deadline; it is read this often
# in case a decision's signal was lost.
IN_TRANSIT_CHECK = timedelta(days=1)
# The marker of exchanges whose difference is captured before their items ship.
EXCHANGE_PAID_FIRST = "return-2026-12-exchange-paid-first"


@dataclass(frozen=True)
class ReturnInput:
    return_id: str
    order_id: str
    status: str  # requested, or awaiting_review
    expires_at: str  # ISO 8601: ship it back by then, or it expires
    label_bound_seconds: float
    refund_bound_seconds: float
    cancel_bound_seconds: float
    carrier_queue: str | None = None
    payment_queue: str | None = None
    # An exchange: its difference (None: a plain return), the token that pays a
    # difference due, and how long the provider is asked for it.
    exchange: int | None = None
    payment_token: str | None = None
    payment_bound_seconds: float = 600.0


@workflow.defn
class ReturnWorkflow:
    @workflow.init
    def __init__(self, rma: ReturnInput) -> None:
        # Before any signal is handled: a decision signalled with the start is kept.
        self._status = ReturnStatus(rma.status)

    @workflow.run
    async def run(self, rma: ReturnInput) -> str:
        deadline = datetime.fromisoformat(rma.expires_at)
        if self._status is ReturnStatus.REQUESTED:
            state = await self._local(ReturnActivities.approve_return, ReturnStep(rma.return_id))
            self._status = ReturnStatus(state.status)
        while self._status is ReturnStatus.AWAITING_REVIEW:
            workflow.set_current_details("Waiting for an operator to approve or reject it.")
            # Read daily too: a lost approval must not let it expire without a label.
            look = min(deadline, workflow.now() + IN_TRANSIT_CHECK)
            await self._wait(rma, look, "a review, or a daily look at the return")
        if self._status is ReturnStatus.APPROVED and rma.exchange is not None:
            await self._hold_exchange(rma)
        if self._status is ReturnStatus.APPROVED:
            await self._issue_label(rma)
        while self._status in (ReturnStatus.APPROVED, ReturnStatus.IN_TRANSIT):
            if self._status is ReturnStatus.APPROVED:
                workflow.set_current_details(f"Waiting for the customer to ship it by {deadline}.")
                await self._wait(rma, deadline, "the customer has not shipped it")
            else:
                workflow.set_current_details("On its way back: waiting for the warehouse.")
                await self._wait(rma, None, "a daily look at the return")
        if self._status in (ReturnStatus.CANCELLED, ReturnStatus.EXPIRED):
            try:
                await workflow.execute_activity_method(
                    ReturnActivities.cancel_return_label,
                    ReturnStep(rma.return_id),
                    summary="call the unused label off",
                    **_carrier_options(
                        ReturnActivities.cancel_return_label, rma, rma.cancel_bound_seconds
                    ),
                )
            except FailureError as error:  # an unused label costs nothing until used
                workflow.logger.warning("the label of %s stays: %s", rma.return_id, error)
        if rma.exchange is not None and self._status.is_terminal:
            await self._release_exchange(rma, f"the return was {self._status.value}")
        if self._status is ReturnStatus.RECEIVED and rma.exchange is not None:
            if not await self._ship_exchange(rma):
                return self._status.value  # an operator takes it from here
        if self._status is ReturnStatus.RECEIVED:
            await self._refund(rma)
        return self._status.value

    @workflow.signal
    def decided(self, status: str) -> None:
        """The service took a decision on the return (approved, rejected, received,
        cancelled) or the carrier has its parcel (in_transit)."""
        self._status = ReturnStatus(status)

    @workflow.query
    def status(self) -> str:
        return self._status.value

    async def _wait(self, rma: ReturnInput, deadline: datetime | None, why: str) -> None:
        """Until a decision is signalled, or the deadline: then the return is read
        (and expired, if it is due)."""
        now = self._status
        timeout = IN_TRANSIT_CHECK if deadline is None else deadline - workflow.now()
        try:
            await workflow.wait_condition(
                lambda: self._status is not now,
                timeout=max(timeout, timedelta(seconds=1)),
                timeout_summary=why,
            )
        except TimeoutError:
            state = await self._local(ReturnActivities.refresh_return, ReturnStep(rma.return_id))
            self._status = ReturnStatus(state.status)

    async def _issue_label(self, rma: ReturnInput) -> None:
        try:
            await workflow.execute_activity_method(
                ReturnActivities.issue_return_label,
                ReturnStep(rma.return_id),
                summary="a return label from the carrier",
                **_carrier_options(
                    ReturnActivities.issue_return_label, rma, rma.label_bound_seconds
                ),
            )
        except FailureError as error:
            why = str(error.cause or error)
            await self._local(
                ReturnActivities.record_label_failure, RecordLabelFailure(rma.return_id, why)
            )
            needs_operator(Stuck.RETURN_LABEL, f"the carrier gave no return label ({why}).")

    async def _hold_exchange(self, rma: ReturnInput) -> None:
        """The new items held; a difference due authorized with the customer's token. No
        stock, or a declined difference, rejects the return before any label."""
        workflow.set_current_details("Holding the exchange's new items.")
        state = await self._local(ExchangeActivities.hold_exchange, ReturnStep(rma.return_id))
        self._status = ReturnStatus(state.status)
        if self._status is not ReturnStatus.APPROVED or not rma.exchange or rma.exchange <= 0:
            return
        try:
            await workflow.execute_activity_method(
                ExchangeActivities.authorize_exchange,
                AuthorizeExchange(rma.return_id, rma.payment_token or ""),
                summary=f"authorize the exchange's difference of {rma.exchange / 100:,.2f}",
                **_provider_options(
                    ExchangeActivities.authorize_exchange,
                    rma.payment_queue,
                    rma.payment_bound_seconds,
                ),
            )
        except FailureError as error:
            await self._release_exchange(
                rma, f"the difference was not paid: {error.cause or error}"
            )

    async def _release_exchange(self, rma: ReturnInput, why: str) -> None:
        try:
            state = await workflow.execute_activity_method(
                ExchangeActivities.release_exchange,
                ReleaseExchange(rma.return_id, why),
                summary="release the exchange's new items",
                **_provider_options(
                    ExchangeActivities.release_exchange,
                    rma.payment_queue,
                    rma.cancel_bound_seconds,
                ),
            )
        except FailureError as error:
            needs_operator(
                Stuck.EXCHANGE_RELEASE,
                f"the exchange's items or authorization were not released "
                f"({error.cause or error}).",
            )
            return
        self._status = ReturnStatus(state.status)

    async def _ship_exchange(self, rma: ReturnInput) -> bool:
        """The new items ship once the old ones are in; a difference due is taken then."""
        workflow.set_current_details("Shipping the exchange's new items.")
        due = bool(rma.exchange and rma.exchange > 0)
        # Paid before anything ships; exchanges of before shipped first.
        paid_first = workflow.patched(EXCHANGE_PAID_FIRST)
        try:
            if due and paid_first:
                await self._capture_exchange(rma)
            await workflow.execute_activity_method(
                ExchangeActivities.ship_exchange,
                ReturnStep(rma.return_id),
                summary="ship the exchange's new items",
                **_provider_options(
                    ExchangeActivities.ship_exchange, rma.carrier_queue, rma.cancel_bound_seconds
                ),
            )
            if due and not paid_first:
                await self._capture_exchange(rma)
        except FailureError as error:
            needs_operator(
                Stuck.EXCHANGE_SHIPMENT,
                f"the exchange did not ship ({error.cause or error}); the return stays received.",
            )
            return False
        return True

    async def _capture_exchange(self, rma: ReturnInput) -> None:
        await workflow.execute_activity_method(
            ExchangeActivities.capture_exchange,
            ReturnStep(rma.return_id),
            summary="capture the exchange's difference",
            **_provider_options(
                ExchangeActivities.capture_exchange, rma.payment_queue, rma.cancel_bound_seconds
            ),
        )

    async def _refund(self, rma: ReturnInput) -> None:
        state = await self._local(ReturnActivities.refresh_return, ReturnStep(rma.return_id))
        self._status = ReturnStatus(state.status)
        if (state.refund_id is None or state.refund_amount is None) and rma.exchange is not None:
            await workflow.execute_local_activity_method(
                ExchangeActivities.close_return,
                ReturnStep(rma.return_id),
                **steps.options(steps.step_of(ExchangeActivities.close_return), None, None),
            )
            self._status = ReturnStatus.CLOSED
            return
        if state.refund_id is None or state.refund_amount is None:
            return  # nothing came back to pay for: closed at receipt
        workflow.set_current_details("Paying back what came back.")
        outcome = await workflow.execute_child_workflow(
            RefundWorkflow.run,
            RefundInput(
                state.refund_id,
                rma.order_id,
                state.refund_amount,
                state.currency,
                rma.refund_bound_seconds,
                rma.payment_queue,
            ),
            id=f"refund-{state.refund_id}",
            static_summary=f"Refund of return {rma.return_id}",
        )
        if outcome == "succeeded":
            self._status = ReturnStatus.CLOSED
        else:
            workflow.set_current_details(
                f"NEEDS AN OPERATOR: the refund {state.refund_id} failed; the return closes "
                "once it is retried and paid (orders-admin refunds retry)."
            )

    async def _local(self, handler: steps.Handler, command: object) -> ReturnState:
        result: ReturnState = await workflow.execute_local_activity_method(
            handler,
            command,
            **steps.options(steps.step_of(handler), None, None),
        )
        return result


def _carrier_options(handler: steps.Handler, rma: ReturnInput, bound: float) -> dict[str, Any]:
    return _provider_options(handler, rma.carrier_queue, bound)


def _provider_options(handler: steps.Handler, queue: str | None, bound: float) -> dict[str, Any]:
    options = steps.options(steps.step_of(handler), None, queue)
    options["schedule_to_close_timeout"] = timedelta(seconds=bound)
    return options
