from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="AdjustmentOut")


@_attrs_define
class AdjustmentOut:
    """
    Attributes:
        actor_id (None | str):
        created_at (datetime.datetime):
        delta (int):
        id (int):
        on_hand_after (int):
        reason (str):
        sku (str):
    """

    actor_id: None | str
    created_at: datetime.datetime
    delta: int
    id: int
    on_hand_after: int
    reason: str
    sku: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        actor_id: None | str
        actor_id = self.actor_id

        created_at = self.created_at.isoformat()

        delta = self.delta

        id = self.id

        on_hand_after = self.on_hand_after

        reason = self.reason

        sku = self.sku

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "actor_id": actor_id,
                "created_at": created_at,
                "delta": delta,
                "id": id,
                "on_hand_after": on_hand_after,
                "reason": reason,
                "sku": sku,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_actor_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        actor_id = _parse_actor_id(d.pop("actor_id"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        delta = d.pop("delta")

        id = d.pop("id")

        on_hand_after = d.pop("on_hand_after")

        reason = d.pop("reason")

        sku = d.pop("sku")

        adjustment_out = cls(
            actor_id=actor_id,
            created_at=created_at,
            delta=delta,
            id=id,
            on_hand_after=on_hand_after,
            reason=reason,
            sku=sku,
        )

        adjustment_out.additional_properties = d
        return adjustment_out

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
