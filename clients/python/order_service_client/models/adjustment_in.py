from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="AdjustmentIn")


@_attrs_define
class AdjustmentIn:
    """
    Attributes:
        delta (int):
        reason (str):
    """

    delta: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        delta = self.delta

        reason = self.reason

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "delta": delta,
                "reason": reason,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        delta = d.pop("delta")

        reason = d.pop("reason")

        adjustment_in = cls(
            delta=delta,
            reason=reason,
        )

        return adjustment_in
