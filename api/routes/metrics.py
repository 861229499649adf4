"""/metrics: Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from api.metrics import REVIEWS_PENDING
from api.resources import ResourcesDep

router = APIRouter(tags=["operations"])


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(resources: ResourcesDep) -> Response:
    """RED metrics per route, flow control, the order task queue backlog and the orders
    waiting for review."""
    try:
        REVIEWS_PENDING.set(await resources.order_reads.count_in_status("awaiting_review"))
    except (SQLAlchemyError, OSError):
        pass  # the gauge keeps its last value; /readyz reports the database
    await resources.shedder.backlog()  # refreshes orders_task_queue_backlog
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
