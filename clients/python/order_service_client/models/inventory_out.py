from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="InventoryOut")


@_attrs_define
class InventoryOut:
    """
    Attributes:
        available (int): on_hand - reserved: what can still be ordered.
        on_hand (int): Units in the warehouse.
        reserved (int): Units held for orders not yet shipped.
        sku (str):
    """

    available: int
    on_hand: int
    reserved: int
    sku: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        available = self.available

        on_hand = self.on_hand

        reserved = self.reserved

        sku = self.sku

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "available": available,
                "on_hand": on_hand,
                "reserved": reserved,
                "sku": sku,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        available = d.pop("available")

        on_hand = d.pop("on_hand")

        reserved = d.pop("reserved")

        sku = d.pop("sku")

        inventory_out = cls(
            available=available,
            on_hand=on_hand,
            reserved=reserved,
            sku=sku,
        )

        inventory_out.additional_properties = d
        return inventory_out

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
