"""Contains all the data models used in inputs/outputs"""

from .address_in import AddressIn
from .adjustment_in import AdjustmentIn
from .adjustment_out import AdjustmentOut
from .api_key_created import ApiKeyCreated
from .api_key_out import ApiKeyOut
from .cancel_in import CancelIn
from .decision_out import DecisionOut
from .decision_out_action import DecisionOutAction
from .decode_payloads_body import DecodePayloadsBody
from .decode_payloads_body_payloads_item import DecodePayloadsBodyPayloadsItem
from .decode_payloads_body_payloads_item_metadata import DecodePayloadsBodyPayloadsItemMetadata
from .decode_payloads_response_200 import DecodePayloadsResponse200
from .decode_payloads_response_200_payloads_item import DecodePayloadsResponse200PayloadsItem
from .decode_payloads_response_200_payloads_item_metadata import DecodePayloadsResponse200PayloadsItemMetadata
from .encode_payloads_body import EncodePayloadsBody
from .encode_payloads_body_payloads_item import EncodePayloadsBodyPayloadsItem
from .encode_payloads_body_payloads_item_metadata import EncodePayloadsBodyPayloadsItemMetadata
from .encode_payloads_response_200 import EncodePayloadsResponse200
from .encode_payloads_response_200_payloads_item import EncodePayloadsResponse200PayloadsItem
from .encode_payloads_response_200_payloads_item_metadata import EncodePayloadsResponse200PayloadsItemMetadata
from .failure_reason import FailureReason
from .inventory_out import InventoryOut
from .inventory_set import InventorySet
from .line_in import LineIn
from .line_out import LineOut
from .livez_response_livez import LivezResponseLivez
from .money import Money
from .order_decision_out import OrderDecisionOut
from .order_decision_out_shipping_address import OrderDecisionOutShippingAddress
from .order_event_out import OrderEventOut
from .order_event_out_data import OrderEventOutData
from .order_out import OrderOut
from .order_out_shipping_address import OrderOutShippingAddress
from .order_status import OrderStatus
from .page_adjustment_out import PageAdjustmentOut
from .page_order_out import PageOrderOut
from .page_product_out import PageProductOut
from .page_user_out import PageUserOut
from .payment_in import PaymentIn
from .payment_out import PaymentOut
from .place_order_in import PlaceOrderIn
from .problem import Problem
from .problem_error import ProblemError
from .product_in import ProductIn
from .product_out import ProductOut
from .product_patch import ProductPatch
from .receive_carrier_event_carrier_event_in import ReceiveCarrierEventCarrierEventIn
from .receive_carrier_event_carrier_event_in_event import ReceiveCarrierEventCarrierEventInEvent
from .receive_carrier_event_response_receive_carrier_event import ReceiveCarrierEventResponseReceiveCarrierEvent
from .review_in import ReviewIn
from .review_in_decision import ReviewInDecision
from .role import Role
from .shipment_out import ShipmentOut
from .stream_order_events_response_200 import StreamOrderEventsResponse200
from .tier import Tier
from .user_created import UserCreated
from .user_in import UserIn
from .user_out import UserOut

__all__ = (
    "AddressIn",
    "AdjustmentIn",
    "AdjustmentOut",
    "ApiKeyCreated",
    "ApiKeyOut",
    "CancelIn",
    "DecisionOut",
    "DecisionOutAction",
    "DecodePayloadsBody",
    "DecodePayloadsBodyPayloadsItem",
    "DecodePayloadsBodyPayloadsItemMetadata",
    "DecodePayloadsResponse200",
    "DecodePayloadsResponse200PayloadsItem",
    "DecodePayloadsResponse200PayloadsItemMetadata",
    "EncodePayloadsBody",
    "EncodePayloadsBodyPayloadsItem",
    "EncodePayloadsBodyPayloadsItemMetadata",
    "EncodePayloadsResponse200",
    "EncodePayloadsResponse200PayloadsItem",
    "EncodePayloadsResponse200PayloadsItemMetadata",
    "FailureReason",
    "InventoryOut",
    "InventorySet",
    "LineIn",
    "LineOut",
    "LivezResponseLivez",
    "Money",
    "OrderDecisionOut",
    "OrderDecisionOutShippingAddress",
    "OrderEventOut",
    "OrderEventOutData",
    "OrderOut",
    "OrderOutShippingAddress",
    "OrderStatus",
    "PageAdjustmentOut",
    "PageOrderOut",
    "PageProductOut",
    "PageUserOut",
    "PaymentIn",
    "PaymentOut",
    "PlaceOrderIn",
    "Problem",
    "ProblemError",
    "ProductIn",
    "ProductOut",
    "ProductPatch",
    "ReceiveCarrierEventCarrierEventIn",
    "ReceiveCarrierEventCarrierEventInEvent",
    "ReceiveCarrierEventResponseReceiveCarrierEvent",
    "ReviewIn",
    "ReviewInDecision",
    "Role",
    "ShipmentOut",
    "StreamOrderEventsResponse200",
    "Tier",
    "UserCreated",
    "UserIn",
    "UserOut",
)
