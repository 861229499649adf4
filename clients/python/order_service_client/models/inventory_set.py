from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="InventorySet")


@_attrs_define
class InventorySet:
    """
    Attributes:
        on_hand (int):
        reason (str | Unset):  Default: 'stock count'.
    """

    on_hand: int
    reason: str | Unset = "stock count"

    def to_dict(self) -> dict[str, Any]:
        on_hand = self.on_hand

        reason = self.reason

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "on_hand": on_hand,
            }
        )
        if reason is not UNSET:
            field_dict["reason"] = reason

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        on_hand = d.pop("on_hand")

        reason = d.pop("reason", UNSET)

        inventory_set = cls(
            on_hand=on_hand,
            reason=reason,
        )

        return inventory_set
