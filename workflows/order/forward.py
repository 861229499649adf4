"""The forward path: reserve, (review), authorize, ship, capture.

Each step registers its undo before it runs (compensation.py), so a step that
half-happened is undone too. A step that fails past its bound ends the forward path
with `OrderFailed` and the reason the customer is told; database steps have no
bound, so only a refusal by our own rules stops them (`internal_error`).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from domain.commands import (
    AuthorizePayment,
    CapturePayment,
    CreateShipment,
    PlannedShipment,
    RecordReview,
    RequestReview,
    ReserveStock,
    ShipmentCreated,
)
from domain.errors import DestinationUnsupported, LocationClosed, PaymentDeclined
from domain.order import Attention, FailureReason, OrderStatus
from workflows.order.compensation import Compensation
from workflows.order.edits import Edits
from workflows.order.outcomes import OrderFailed, OrderRefused, StepFailed

# Activities are only named here, never run in the sandbox: the worker's copy is used.
with workflow.unsafe.imports_passed_through():
    from activities.order_status import OrderStatusActivities
    from activities.payment import PaymentActivities
    from activities.shipping import ShippingActivities
    from activities.stock import StockActivities


class ForwardPath(Compensation, Edits):
    async def _reserve(self) -> None:
        self._compensations.append(self._release_stock)
        order = self._order
        self._waiting_for(f"reserving {self._items()}")
        try:
            self._reservation = await self._step(
                StockActivities.reserve_stock,
                ReserveStock(
                    order.order_id,
                    order.customer_id,
                    order.lines,
                    order.shipping_address,
                    order.currency,
                    order.idempotency_key,
                    order.fingerprint,
                ),
                f"reserve {self._items()} for {self._whose()}",
            )
        except StepFailed as error:
            raise OrderFailed(FailureReason.INTERNAL_ERROR) from error
        if not self._reservation.reserved:
            self._set_status(OrderStatus.FAILED)
            self._failure_reason = (
                FailureReason.PRODUCT_UNAVAILABLE
                if self._reservation.unavailable_skus
                else FailureReason.OUT_OF_STOCK
            )
            raise OrderRefused()
        self._set_status(OrderStatus.RESERVED)
        workflow.logger.info("order reserved, total %d", self._reservation.total)
        self._notify("placed")

    async def _wait_for_review(self) -> None:
        self._review_open = True
        await self._bookkeeping(
            OrderStatusActivities.request_review,
            RequestReview(self._order.order_id),
            f"hold {self._whose()} ({self._amount()}) for an ops review",
        )
        self._set_status(OrderStatus.AWAITING_REVIEW)
        timeout = timedelta(seconds=self._order.policy.review_timeout_seconds)
        deadline = (workflow.now() + timeout).strftime("%Y-%m-%d %H:%M UTC")
        self._waiting_for(
            f"an ops review of {self._amount()} until {deadline}: approve or reject with "
            f"POST /v1/orders/{self._order.order_id}/review; rejected when the time is up"
        )
        try:
            await workflow.wait_condition(
                lambda: self._review is not None,
                timeout=timeout,
                timeout_summary=f"ops review of {self._whose()} ({self._amount()})",
            )
        except TimeoutError:
            self._review_open = False
            await self._bookkeeping(
                OrderStatusActivities.record_review,
                RecordReview(self._order.order_id, approved=False, timed_out=True),
                f"record that nobody reviewed {self._whose()} in time",
            )
            raise OrderFailed(FailureReason.REVIEW_TIMED_OUT) from None
        decision = self._review
        assert decision is not None
        await self._bookkeeping(
            OrderStatusActivities.record_review,
            RecordReview(
                self._order.order_id, decision.approve, decision.reviewer_id, decision.note
            ),
            f"record that {decision.reviewer_id} "
            f"{'approved' if decision.approve else 'rejected'} {self._whose()}",
        )
        if not decision.approve:
            raise OrderFailed(FailureReason.REVIEW_REJECTED)
        self._approved_total = self._reservation.total if self._reservation else 0
        self._set_status(OrderStatus.AUTHORIZED if self._authorized else OrderStatus.RESERVED)
        self._review_recorded = True

    async def _bookkeeping(self, activity: object, command: object, summary: str) -> None:
        """A database step of the forward path: retried until it lands, so only a
        refusal by our own rules ends here, and the order fails with everything undone."""
        try:
            await self._step(activity, command, summary)  # type: ignore[arg-type]
        except StepFailed as error:
            raise OrderFailed(FailureReason.INTERNAL_ERROR) from error

    async def _authorize(self) -> None:
        self._compensations.append(self._void_payment)
        self._waiting_for(f"the payment provider to authorize {self._amount()}")
        async with self._edit_lock:  # the amount an edit in flight settles first
            try:
                authorized = await self._step(
                    PaymentActivities.authorize_payment,
                    AuthorizePayment(
                        self._order.order_id,
                        self._order.payment_token,
                        self._reservation.total if self._reservation else None,
                        self._order.currency,
                    ),
                    f"authorize {self._amount()} for {self._whose()}",
                )
            except StepFailed as error:
                declined = error.refused_with(PaymentDeclined)
                raise OrderFailed(
                    FailureReason.PAYMENT_DECLINED
                    if declined
                    else FailureReason.PAYMENT_UNAVAILABLE
                ) from error
            self._authorized = True
            self._authorization_id = authorized.authorization_id
        self._set_status(OrderStatus.AUTHORIZED)

    async def _ship(self) -> None:
        # A cancel that arrives while a parcel is being booked is still taken: the
        # booking finishes first (steps wait for their activity on cancellation), then
        # every parcel is called off at the carrier with everything else.
        await self._stop_edits()
        self._compensations.append(self._cancel_shipment)
        self._waiting_for(f"the carrier to book {self._parcels_to_book()} to {self._destination()}")
        for parcel in self._plan():
            booked = await self._book(parcel)
            self._booked.append(booked)
            self._shipment = self._shipment or booked
        self._shipped_at = workflow.now()
        self._set_status(OrderStatus.SHIPPED)
        self._notify("shipped")

    async def _stop_edits(self) -> None:
        """From here on the order can no longer change: an edit in flight finishes
        first, and one that raised the total past what was approved is reviewed again."""
        while True:
            async with self._edit_lock:
                if not (self._split() and self._review_needed()):
                    self._booking_started = True
                    return
            await self._wait_for_review()

    def _plan(self) -> list[PlannedShipment | None]:
        """The parcels to book, in order; None: the whole order as one (before)."""
        if not self._split() or self._reservation is None:
            return [None]
        return list(self._reservation.shipments) or [None]

    def _parcels_to_book(self) -> str:
        count = len(self._plan())
        return f"{count} parcels" if count > 1 else "a parcel"

    async def _book(self, parcel: PlannedShipment | None) -> ShipmentCreated:
        what = self._items()
        if parcel is not None and len(self._plan()) > 1:
            what = f"parcel {parcel.number} ({parcel.units} units from {parcel.location_id})"
        elif parcel is not None:
            what = f"a parcel of {what} from {parcel.location_id}"
        else:
            what = f"a parcel of {what}"
        try:
            return await self._step(
                ShippingActivities.create_shipment,
                CreateShipment(self._order.order_id, parcel.number if parcel else None),
                f"book {what} to {self._destination()} for {self._whose()}",
            )
        except StepFailed as error:
            if error.refused_with(LocationClosed):
                raise OrderFailed(FailureReason.OUT_OF_STOCK) from error
            refused = error.refused_with(DestinationUnsupported)
            raise OrderFailed(
                FailureReason.SHIPPING_REFUSED if refused else FailureReason.SHIPPING_UNAVAILABLE
            ) from error

    async def _capture(self) -> None:
        self._waiting_for(f"the payment provider to capture {self._amount()}")
        try:
            await self._capture_once()
            return
        except StepFailed as error:
            if not self._bounded():
                raise OrderFailed(FailureReason.CAPTURE_FAILED) from error
            failure = error
        # The payment could not be taken. A parcel that can still be called off is
        # undone like any other failure; one that has reached the customer keeps its
        # units committed and its authorization, and the capture is tried for as
        # long as an authorization holds before a person takes over.
        if await self._called_off():
            raise OrderFailed(FailureReason.CAPTURE_FAILED) from failure
        if not failure.refused:
            hold = timedelta(seconds=self._order.policy.authorization_hold_seconds)
            self._waiting_for(
                f"the payment provider to capture {self._amount()}: the parcel has "
                "left, so the authorization is kept and the capture retried"
            )
            try:
                await self._capture_once(bound=hold)
                return
            except StepFailed as error:
                failure = error
        await self._flag(
            Attention.CAPTURE_FAILED,
            f"{self._amount()} could not be captured ({failure.cause}) and "
            f"{self._parcel()} could not be called back: the authorization is kept, "
            "nothing was voided; capture by hand or settle with the customer",
        )

    async def _capture_once(self, bound: timedelta | None = None) -> None:
        """Takes the payment: each parcel's part in turn (the last releasing what is
        left of the authorization), or all of it at once for orders of before. A
        retry takes only the parts not taken yet."""
        plan = self._plan()
        for parcel in plan:
            if parcel is None:
                command = CapturePayment(
                    self._order.order_id, authorization_id=self._authorization_id
                )
                summary = f"capture {self._amount()} for {self._whose()}"
            elif parcel.number in self._captured:
                continue
            else:
                command = CapturePayment(
                    self._order.order_id,
                    parcel.number,
                    parcel.value,
                    parcel is plan[-1],
                    self._authorization_id,
                )
                summary = f"capture {self._money(parcel.value)} for {self._whose()}"
                if len(plan) > 1:
                    summary += f", parcel {parcel.number} of {len(plan)}"
            await self._step(PaymentActivities.capture_payment, command, summary, bound=bound)
            if parcel is not None:
                self._captured.add(parcel.number)
