from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.receive_carrier_event_carrier_event_in_event import ReceiveCarrierEventCarrierEventInEvent
from ..types import UNSET, Unset

T = TypeVar("T", bound="ReceiveCarrierEventCarrierEventIn")


@_attrs_define
class ReceiveCarrierEventCarrierEventIn:
    """
    Attributes:
        event (ReceiveCarrierEventCarrierEventInEvent):
        occurred_at (datetime.datetime):
        tracking_number (str):
        reference (None | str | Unset): The shipper's reference given when booking: the order id. Lets an event that
            overtakes the booking's own record still find its order.
    """

    event: ReceiveCarrierEventCarrierEventInEvent
    occurred_at: datetime.datetime
    tracking_number: str
    reference: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        event = self.event.value

        occurred_at = self.occurred_at.isoformat()

        tracking_number = self.tracking_number

        reference: None | str | Unset
        if isinstance(self.reference, Unset):
            reference = UNSET
        else:
            reference = self.reference

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "event": event,
                "occurred_at": occurred_at,
                "tracking_number": tracking_number,
            }
        )
        if reference is not UNSET:
            field_dict["reference"] = reference

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        event = ReceiveCarrierEventCarrierEventInEvent(d.pop("event"))

        occurred_at = datetime.datetime.fromisoformat(d.pop("occurred_at"))

        tracking_number = d.pop("tracking_number")

        def _parse_reference(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        reference = _parse_reference(d.pop("reference", UNSET))

        receive_carrier_event_carrier_event_in = cls(
            event=event,
            occurred_at=occurred_at,
            tracking_number=tracking_number,
            reference=reference,
        )

        receive_carrier_event_carrier_event_in.additional_properties = d
        return receive_carrier_event_carrier_event_in

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
