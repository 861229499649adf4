from enum import StrEnum


class ReceiveCarrierEventCarrierEventInEvent(StrEnum):
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    IN_TRANSIT = "in_transit"

    def __str__(self) -> str:
        return str(self.value)
