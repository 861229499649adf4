from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.decode_payloads_response_200_payloads_item_metadata import (
        DecodePayloadsResponse200PayloadsItemMetadata,
    )


T = TypeVar("T", bound="DecodePayloadsResponse200PayloadsItem")


@_attrs_define
class DecodePayloadsResponse200PayloadsItem:
    """
    Attributes:
        data (str | Unset):
        metadata (DecodePayloadsResponse200PayloadsItemMetadata | Unset):
    """

    data: str | Unset = UNSET
    metadata: DecodePayloadsResponse200PayloadsItemMetadata | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = self.data

        metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metadata, Unset):
            metadata = self.metadata.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if data is not UNSET:
            field_dict["data"] = data
        if metadata is not UNSET:
            field_dict["metadata"] = metadata

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.decode_payloads_response_200_payloads_item_metadata import (
            DecodePayloadsResponse200PayloadsItemMetadata,  # noqa: PLC0415
        )

        d = dict(src_dict)
        data = d.pop("data", UNSET)

        _metadata = d.pop("metadata", UNSET)
        metadata: DecodePayloadsResponse200PayloadsItemMetadata | Unset
        if isinstance(_metadata, Unset):
            metadata = UNSET
        else:
            metadata = DecodePayloadsResponse200PayloadsItemMetadata.from_dict(_metadata)

        decode_payloads_response_200_payloads_item = cls(
            data=data,
            metadata=metadata,
        )

        decode_payloads_response_200_payloads_item.additional_properties = d
        return decode_payloads_response_200_payloads_item

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
