from enum import StrEnum


class OrderStatus(StrEnum):
    AUTHORIZED = "authorized"
    AWAITING_REVIEW = "awaiting_review"
    CANCELLED = "cancelled"
    DELIVERED = "delivered"
    FAILED = "failed"
    PENDING = "pending"
    RESERVED = "reserved"
    SHIPPED = "shipped"

    def __str__(self) -> str:
        return str(self.value)
