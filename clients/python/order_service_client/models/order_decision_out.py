from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.failure_reason import FailureReason
from ..models.order_status import OrderStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.decision_out import DecisionOut
    from ..models.line_out import LineOut
    from ..models.money import Money
    from ..models.order_decision_out_shipping_address import OrderDecisionOutShippingAddress
    from ..models.payment_out import PaymentOut
    from ..models.shipment_out import ShipmentOut


T = TypeVar("T", bound="OrderDecisionOut")


@_attrs_define
class OrderDecisionOut:
    """The answer to a review or a cancel: the decision taken, the order as it stands
    now, and what still happens after this answer.

        Attributes:
            created_at (datetime.datetime):
            customer_id (str):
            decision (DecisionOut):
            id (str):
            in_background (bool): True while the order still moves because of this decision (undoing steps after a cancel or
                a rejection, paying and shipping after an approval); follow it with GET /v1/orders/{id}.
            items (list[LineOut]):
            next_ (str): What happens next, in words.
            payment (PaymentOut):
            shipping_address (OrderDecisionOutShippingAddress):
            status (OrderStatus):
            total (Money):
            updated_at (datetime.datetime):
            failed_compensations (list[str] | Unset): Undo steps (release_stock, void_payment, cancel_shipment) that gave up
                past their retry bound: an operator must finish them by hand.
            failure_reason (FailureReason | None | Unset): Why a failed order failed.
            shipment (None | ShipmentOut | Unset):
    """

    created_at: datetime.datetime
    customer_id: str
    decision: DecisionOut
    id: str
    in_background: bool
    items: list[LineOut]
    next_: str
    payment: PaymentOut
    shipping_address: OrderDecisionOutShippingAddress
    status: OrderStatus
    total: Money
    updated_at: datetime.datetime
    failed_compensations: list[str] | Unset = UNSET
    failure_reason: FailureReason | None | Unset = UNSET
    shipment: None | ShipmentOut | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.shipment_out import ShipmentOut  # noqa: PLC0415

        created_at = self.created_at.isoformat()

        customer_id = self.customer_id

        decision = self.decision.to_dict()

        id = self.id

        in_background = self.in_background

        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        next_ = self.next_

        payment = self.payment.to_dict()

        shipping_address = self.shipping_address.to_dict()

        status = self.status.value

        total = self.total.to_dict()

        updated_at = self.updated_at.isoformat()

        failed_compensations: list[str] | Unset = UNSET
        if not isinstance(self.failed_compensations, Unset):
            failed_compensations = self.failed_compensations

        failure_reason: None | str | Unset
        if isinstance(self.failure_reason, Unset):
            failure_reason = UNSET
        elif isinstance(self.failure_reason, FailureReason):
            failure_reason = self.failure_reason.value
        else:
            failure_reason = self.failure_reason

        shipment: dict[str, Any] | None | Unset
        if isinstance(self.shipment, Unset):
            shipment = UNSET
        elif isinstance(self.shipment, ShipmentOut):
            shipment = self.shipment.to_dict()
        else:
            shipment = self.shipment

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "customer_id": customer_id,
                "decision": decision,
                "id": id,
                "in_background": in_background,
                "items": items,
                "next": next_,
                "payment": payment,
                "shipping_address": shipping_address,
                "status": status,
                "total": total,
                "updated_at": updated_at,
            }
        )
        if failed_compensations is not UNSET:
            field_dict["failed_compensations"] = failed_compensations
        if failure_reason is not UNSET:
            field_dict["failure_reason"] = failure_reason
        if shipment is not UNSET:
            field_dict["shipment"] = shipment

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.decision_out import DecisionOut  # noqa: PLC0415
        from ..models.line_out import LineOut  # noqa: PLC0415
        from ..models.money import Money  # noqa: PLC0415
        from ..models.order_decision_out_shipping_address import OrderDecisionOutShippingAddress  # noqa: PLC0415
        from ..models.payment_out import PaymentOut  # noqa: PLC0415
        from ..models.shipment_out import ShipmentOut  # noqa: PLC0415

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        customer_id = d.pop("customer_id")

        decision = DecisionOut.from_dict(d.pop("decision"))

        id = d.pop("id")

        in_background = d.pop("in_background")

        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = LineOut.from_dict(items_item_data)

            items.append(items_item)

        next_ = d.pop("next")

        payment = PaymentOut.from_dict(d.pop("payment"))

        shipping_address = OrderDecisionOutShippingAddress.from_dict(d.pop("shipping_address"))

        status = OrderStatus(d.pop("status"))

        total = Money.from_dict(d.pop("total"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        failed_compensations = cast(list[str], d.pop("failed_compensations", UNSET))

        def _parse_failure_reason(data: object) -> FailureReason | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                failure_reason_type_0 = FailureReason(data)

                return failure_reason_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(FailureReason | None | Unset, data)

        failure_reason = _parse_failure_reason(d.pop("failure_reason", UNSET))

        def _parse_shipment(data: object) -> None | ShipmentOut | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                shipment_type_0 = ShipmentOut.from_dict(data)

                return shipment_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ShipmentOut | Unset, data)

        shipment = _parse_shipment(d.pop("shipment", UNSET))

        order_decision_out = cls(
            created_at=created_at,
            customer_id=customer_id,
            decision=decision,
            id=id,
            in_background=in_background,
            items=items,
            next_=next_,
            payment=payment,
            shipping_address=shipping_address,
            status=status,
            total=total,
            updated_at=updated_at,
            failed_compensations=failed_compensations,
            failure_reason=failure_reason,
            shipment=shipment,
        )

        order_decision_out.additional_properties = d
        return order_decision_out

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
