"""Payloads decode into our dataclasses exactly as with the SDK's own converter, and
each class's field types are resolved once, not per payload."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

import pytest
from temporalio.converter import DefaultPayloadConverter

from domain.commands import LineRequest, ShipmentCreated
from domain.order import Address
from infra import payload_types
from infra.payload_types import PayloadConverter, SharedDataclasses
from workflows.contracts import (
    CarrierUpdate,
    OrderWorkflowInput,
    SagaPolicy,
    StepPolicy,
    TrackingState,
)

PARCEL = ShipmentCreated("shp_1", "simcarrier", "TRK1", number=1)
ORDER = OrderWorkflowInput(
    order_id="ord_1",
    customer_id="usr_1",
    customer_tier="standard",
    lines=[LineRequest("SKU-1", 2), LineRequest("SKU-2", 1)],
    shipping_address=Address("Ada", "1 Lane", "London", "N1", "GB", line2="Flat 2"),
    payment_token="tok_ok",
    currency="EUR",
    idempotency_key="k",
    fingerprint="f" * 64,
    policy=SagaPolicy(
        1000, 60, 60, 60, 60, 60, steps={"capture_payment": StepPolicy(10, maximum_attempts=3)}
    ),
    tracking=TrackingState(
        total=1999,
        shipment=PARCEL,
        shipped_at="2026-12-01T00:00:00+00:00",
        poll_seconds=300,
        seen_events=[CarrierUpdate("in_transit", "2026-12-01T01:00:00Z", "TRK1")],
        pending_events=[],
        flags=["carrier_exception"],
        parcels=[PARCEL, ShipmentCreated("shp_2", "simcarrier", "TRK2", number=2)],
    ),
)


@dataclasses.dataclass(frozen=True)
class NotShared:  # a dataclass of a module the sandbox does not share: the SDK's to build
    name: str
    parcel: ShipmentCreated


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        (ORDER, OrderWorkflowInput),
        (PARCEL, ShipmentCreated),
        ([PARCEL, PARCEL], list[ShipmentCreated]),
        (None, OrderWorkflowInput | None),
        (NotShared("x", PARCEL), NotShared),
    ],
)
def test_a_payload_decodes_as_with_the_sdk_converter(value: Any, hint: Any) -> None:
    ours, sdks = PayloadConverter(), DefaultPayloadConverter()
    payloads = sdks.to_payloads([value])

    decoded = ours.from_payloads(payloads, [hint])[0]

    assert decoded == sdks.from_payloads(payloads, [hint])[0] == value


def test_unknown_keys_are_ignored_and_a_missing_required_field_refused() -> None:
    converter = PayloadConverter()
    newer = converter.to_payloads([{**dataclasses.asdict(PARCEL), "added_later": 1}])
    partial = converter.to_payloads([{"shipment_id": "shp_1"}])

    assert converter.from_payloads(newer, [ShipmentCreated])[0] == PARCEL
    with pytest.raises(TypeError):
        converter.from_payloads(partial, [ShipmentCreated])


def test_field_types_are_resolved_once_per_class(monkeypatch: pytest.MonkeyPatch) -> None:
    resolved: list[Any] = []

    def counting(hint: Any) -> dict[str, Any]:
        resolved.append(hint)
        return typing.get_type_hints(hint)

    monkeypatch.setattr(payload_types, "get_type_hints", counting)
    converter = PayloadConverter(SharedDataclasses())
    payloads = converter.to_payloads([ORDER])

    for _ in range(3):
        assert converter.from_payloads(payloads, [OrderWorkflowInput])[0] == ORDER

    assert sorted(hint.__name__ for hint in resolved) == sorted(
        {
            "OrderWorkflowInput",
            "LineRequest",
            "Address",
            "SagaPolicy",
            "StepPolicy",
            "TrackingState",
            "ShipmentCreated",
            "CarrierUpdate",
        }
    )
