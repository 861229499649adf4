from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.address_in import AddressIn
    from ..models.line_in import LineIn
    from ..models.payment_in import PaymentIn


T = TypeVar("T", bound="PlaceOrderIn")


@_attrs_define
class PlaceOrderIn:
    """
    Attributes:
        items (list[LineIn]):
        payment (PaymentIn):
        shipping_address (AddressIn):
        customer_id (None | str | Unset): Only for ops and admin placing an order for a customer.
    """

    items: list[LineIn]
    payment: PaymentIn
    shipping_address: AddressIn
    customer_id: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        payment = self.payment.to_dict()

        shipping_address = self.shipping_address.to_dict()

        customer_id: None | str | Unset
        if isinstance(self.customer_id, Unset):
            customer_id = UNSET
        else:
            customer_id = self.customer_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "items": items,
                "payment": payment,
                "shipping_address": shipping_address,
            }
        )
        if customer_id is not UNSET:
            field_dict["customer_id"] = customer_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.address_in import AddressIn  # noqa: PLC0415
        from ..models.line_in import LineIn  # noqa: PLC0415
        from ..models.payment_in import PaymentIn  # noqa: PLC0415

        d = dict(src_dict)
        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = LineIn.from_dict(items_item_data)

            items.append(items_item)

        payment = PaymentIn.from_dict(d.pop("payment"))

        shipping_address = AddressIn.from_dict(d.pop("shipping_address"))

        def _parse_customer_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        customer_id = _parse_customer_id(d.pop("customer_id", UNSET))

        place_order_in = cls(
            items=items,
            payment=payment,
            shipping_address=shipping_address,
            customer_id=customer_id,
        )

        return place_order_in
