from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="LineIn")


@_attrs_define
class LineIn:
    """
    Attributes:
        quantity (int):
        sku (str):
    """

    quantity: int
    sku: str

    def to_dict(self) -> dict[str, Any]:
        quantity = self.quantity

        sku = self.sku

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "quantity": quantity,
                "sku": sku,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        quantity = d.pop("quantity")

        sku = d.pop("sku")

        line_in = cls(
            quantity=quantity,
            sku=sku,
        )

        return line_in
