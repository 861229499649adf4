"""/metrics: Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from api.metrics import REVIEWS_PENDING
from api.resources import ResourcesDep
from db.tables import OrderRow

router = APIRouter(tags=["operations"])


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(resources: ResourcesDep) -> Response:
    """RED metrics per route, flow control, the order task queue backlog and the orders
    waiting for review."""
    try:
        async with resources.unit_of_work() as uow:
            pending = await uow.session.scalar(
                select(func.count()).where(OrderRow.status == "awaiting_review")
            )
        REVIEWS_PENDING.set(pending or 0)
    except (SQLAlchemyError, OSError):
        pass  # the gauge keeps its last value; /readyz reports the database
    await resources.shedder.backlog()  # refreshes orders_task_queue_backlog
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
