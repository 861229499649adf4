"""The body of a carrier's tracking webhook."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from api.schemas.common import InputModel


class CarrierEventIn(InputModel):
    # A tolerant reader: carriers add fields over time.
    model_config = ConfigDict(extra="ignore")

    tracking_number: str = Field(min_length=1, max_length=64)
    reference: str | None = Field(
        None,
        max_length=64,
        description="The shipper's reference given when booking: the order id. Lets an "
        "event that overtakes the booking's own record still find its order.",
    )
    event: Literal["in_transit", "delivered", "exception"]
    occurred_at: datetime
