from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.decode_payloads_response_200_payloads_item import DecodePayloadsResponse200PayloadsItem


T = TypeVar("T", bound="DecodePayloadsResponse200")


@_attrs_define
class DecodePayloadsResponse200:
    """
    Attributes:
        payloads (list[DecodePayloadsResponse200PayloadsItem] | Unset):
    """

    payloads: list[DecodePayloadsResponse200PayloadsItem] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        payloads: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.payloads, Unset):
            payloads = []
            for payloads_item_data in self.payloads:
                payloads_item = payloads_item_data.to_dict()
                payloads.append(payloads_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if payloads is not UNSET:
            field_dict["payloads"] = payloads

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.decode_payloads_response_200_payloads_item import DecodePayloadsResponse200PayloadsItem  # noqa: PLC0415

        d = dict(src_dict)
        _payloads = d.pop("payloads", UNSET)
        payloads: list[DecodePayloadsResponse200PayloadsItem] | Unset = UNSET
        if _payloads is not UNSET:
            payloads = []
            for payloads_item_data in _payloads:
                payloads_item = DecodePayloadsResponse200PayloadsItem.from_dict(payloads_item_data)

                payloads.append(payloads_item)

        decode_payloads_response_200 = cls(
            payloads=payloads,
        )

        decode_payloads_response_200.additional_properties = d
        return decode_payloads_response_200

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
