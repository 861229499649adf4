from enum import StrEnum


class FailureReason(StrEnum):
    CAPTURE_FAILED = "capture_failed"
    INTERNAL_ERROR = "internal_error"
    OUT_OF_STOCK = "out_of_stock"
    PAYMENT_DECLINED = "payment_declined"
    PAYMENT_UNAVAILABLE = "payment_unavailable"
    PRODUCT_UNAVAILABLE = "product_unavailable"
    REVIEW_REJECTED = "review_rejected"
    REVIEW_TIMED_OUT = "review_timed_out"
    SHIPPING_REFUSED = "shipping_refused"
    SHIPPING_UNAVAILABLE = "shipping_unavailable"

    def __str__(self) -> str:
        return str(self.value)
