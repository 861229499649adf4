"""/v1/orders/{id}/events: an order's timeline, read at once or followed live."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import StreamingResponse

from api.auth import CurrentCaller
from api.event_stream import StreamTimes, order_events
from api.problems import PROBLEM_RESPONSE
from api.resources import ResourcesDep, ServicesDep
from api.schemas.orders import OrderEventOut

router = APIRouter(prefix="/v1/orders", tags=["orders"])


@router.get(
    "/{order_id}/events",
    summary="An order's timeline",
    responses={404: {"description": "No such order (or not yours)", **PROBLEM_RESPONSE}},
)
async def list_order_events(
    order_id: str, caller: CurrentCaller, services: ServicesDep
) -> list[OrderEventOut]:
    """Everything that happened to the order, oldest first."""
    return [OrderEventOut.of(entry) for entry in await services.orders.timeline(caller, order_id)]


@router.get(
    "/{order_id}/events/stream",
    summary="Follow an order's timeline live (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "`text/event-stream`: the timeline so far, then each new entry "
            "(`id:` the entry's id, `event:` its type, `data:` the entry as JSON); comment "
            "lines as heartbeats; the stream ends when the order is terminal.",
            "content": {
                "text/event-stream": {
                    "schema": {
                        "description": "One event of the stream.",
                        "type": "object",
                        "properties": {
                            "id": {"type": "string", "description": "The entry's id."},
                            "event": {"type": "string", "description": "The entry's type."},
                            "data": {"type": "string", "description": "The entry as JSON."},
                        },
                    }
                }
            },
        },
        404: {"description": "No such order (or not yours)", **PROBLEM_RESPONSE},
    },
)
async def stream_order_events(
    order_id: str,
    caller: CurrentCaller,
    resources: ResourcesDep,
    last_event_id: Annotated[
        int | None,
        Header(
            alias="Last-Event-ID",
            ge=0,
            le=2**63 - 1,  # entry ids are PostgreSQL bigints
            description="Resume after this entry: what a browser's EventSource sends.",
        ),
    ] = None,
) -> StreamingResponse:
    """Same access rules as the order. A key holds at most
    `ORDERS_EVENT_STREAM_MAX_PER_CALLER` streams open (`429` beyond); each ends after
    `ORDERS_EVENT_STREAM_LIFETIME`. Reconnect with `Last-Event-ID` to resume."""
    orders = resources.services.orders
    await orders.find(caller, order_id)
    slots = resources.stream_slots
    slot = await slots.take(caller)
    settings = resources.settings
    frames = order_events(
        orders,
        resources.services.order_feed,
        order_id,
        after=last_event_id or 0,
        times=StreamTimes(
            retry_seconds=settings.event_stream_retry.total_seconds(),
            heartbeat_seconds=settings.event_stream_heartbeat.total_seconds(),
            lifetime_seconds=settings.event_stream_lifetime.total_seconds(),
        ),
        alive=lambda: slots.renew(caller, slot),
        closed=lambda: slots.give_back(caller, slot),
    )
    return StreamingResponse(
        frames,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
