"""Edits before fulfillment: the `edit` update's rules and steps.

An edit and the booking of the first parcel can never both win: they take turns on
one lock, and the booking marks the order as no longer editable before it lets go.
An edit accepted while the order could still change but run after the booking took
the lock is refused like one that came later. A cancel waits for an edit in flight,
so its undo sees what the edit did. All or nothing: the units an edit adds are held
first, the payment difference is authorized next (a decline gives those units back
and changes nothing), and only then does the order take the edit.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

from domain.commands import AbandonEdit, ApplyEdit, EditQuote, IncreaseAuthorization, PlanEdit
from domain.errors import (
    IdempotencyKeyReused,
    NotEditable,
    OutOfStock,
    PaymentDeclined,
    PaymentUnavailable,
    ProductUnavailable,
)
from domain.order import EDITABLE
from workflows.contracts import EditOutcome, EditRequest
from workflows.order.outcomes import StepFailed, rejection
from workflows.order.saga import OrderSaga

# Activities are only named here, never run in the sandbox: the worker's copy is used.
with workflow.unsafe.imports_passed_through():
    from activities.edits import OrderEditActivities
    from activities.payment import PaymentActivities


class Edits(OrderSaga):
    def _edit_refusal(self, request: EditRequest) -> Exception | None:
        """Why this edit cannot be taken now, if it cannot (the validator's rules)."""
        if not self._split():
            return rejection(NotEditable("orders placed before edits existed cannot be edited"))
        seen = self._edit_fingerprints.get(request.edit_id)
        if seen is not None and seen != request.fingerprint:
            return rejection(IdempotencyKeyReused("this key was used for another edit"))
        if self._booking_started or self._cancel is not None or self._status not in EDITABLE:
            status = "shipping" if self._booking_started else self._status.value
            return rejection(NotEditable.in_status(status))
        return None

    async def _edit(self, request: EditRequest) -> EditOutcome:
        if not request.dry_run:
            self._edit_fingerprints[request.edit_id] = request.fingerprint
        async with self._edit_lock:
            refused = self._edit_refusal(request)
            if refused is not None:  # the booking or a cancel came first
                raise refused
            quote = await self._plan_edit(request)
            if request.dry_run:
                return _outcome(quote, dry_run=True)
            if quote.difference > 0 and self._authorized:
                await self._pay_the_difference(request, quote)
            self._reservation = await self._bookkeeping_step(
                OrderEditActivities.apply_edit,
                ApplyEdit(self._order.order_id, request.edit_id),
                f"apply edit {request.edit_id} of {self._whose()} ({self._money(quote.total)})",
            )
            self._set_status(self._status)  # the OrderTotal search attribute follows
            again = self._review_needed()
            if again:
                self._review_open = True  # a decision may come before the hold is recorded
            return _outcome(quote, held_for_review=again)

    async def _plan_edit(self, request: EditRequest) -> EditQuote:
        lines = ", ".join(f"{line.quantity} x {line.sku}" for line in request.lines or [])
        quote: EditQuote = await self._bookkeeping_step(
            OrderEditActivities.plan_edit,
            PlanEdit(
                self._order.order_id,
                request.edit_id,
                request.lines,
                request.shipping_address,
                request.dry_run,
            ),
            f"{'price' if request.dry_run else 'hold'} edit of {self._whose()}: "
            f"{lines or 'same lines'}"
            + (f", to {request.shipping_address.country}" if request.shipping_address else ""),
        )
        if quote.not_editable:
            raise rejection(NotEditable.in_status(quote.not_editable))
        if quote.unavailable_skus:
            raise rejection(ProductUnavailable(quote.unavailable_skus))
        if quote.refused_skus:
            raise rejection(OutOfStock(quote.refused_skus))
        return quote

    async def _pay_the_difference(self, request: EditRequest, quote: EditQuote) -> None:
        try:
            await self._step(
                PaymentActivities.increase_authorization,
                IncreaseAuthorization(self._order.order_id, request.edit_id, quote.difference),
                f"authorize {self._money(quote.difference)} more for {self._whose()}",
            )
        except StepFailed as error:
            await self._bookkeeping_step(
                OrderEditActivities.abandon_edit,
                AbandonEdit(self._order.order_id, request.edit_id),
                f"give back what edit {request.edit_id} of {self._whose()} held",
            )
            if error.refused_with(PaymentDeclined):
                raise rejection(
                    PaymentDeclined("the card declined the edit's difference")
                ) from None
            raise rejection(PaymentUnavailable(str(error.cause))) from None

    async def _bookkeeping_step(self, activity: object, command: object, summary: str) -> Any:
        """A database step of an edit; a refusal by our own rules refuses the edit."""
        try:
            return await self._step(activity, command, summary)  # type: ignore[arg-type]
        except StepFailed as error:
            raise rejection(NotEditable(str(error.cause))) from None

    def _review_needed(self) -> bool:
        """Whether an edit raised the total above the review threshold and above what a
        reviewer approved (or nobody reviewed it yet)."""
        total = self._reservation.total if self._reservation else 0
        if total <= self._order.policy.review_threshold:
            return False
        return self._approved_total is None or total > self._approved_total


def _outcome(
    quote: EditQuote, *, dry_run: bool = False, held_for_review: bool = False
) -> EditOutcome:
    return EditOutcome(quote.total, quote.difference, quote.lines, dry_run, held_for_review)
