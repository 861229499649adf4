"""Operations endpoints: liveness and readiness for load balancers and orchestrators.
Prometheus metrics are on a port of their own (api/metrics_server.py)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.problems import PROBLEM_RESPONSE
from api.resources import Resources, ResourcesDep

router = APIRouter(tags=["operations"])

READINESS_CACHE_SECONDS = 1.0


@router.get("/livez", summary="Is the process alive")
async def livez() -> dict[str, str]:
    """Touches no dependency: a failing database must not get healthy pods restarted."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Can the process serve",
    responses={
        503: {"description": "A dependency is unreachable; `checks` names it", **PROBLEM_RESPONSE}
    },
)
async def readyz(resources: ResourcesDep) -> JSONResponse:
    """Checks PostgreSQL, Redis and Temporal in parallel, each with a short timeout. The
    answer is reused for a second, so frequent probes do not load the dependencies."""
    cache = resources.readiness
    if time.monotonic() - cache.checked_at >= READINESS_CACHE_SECONDS:
        names = ("database", "redis", "temporal")
        results = await asyncio.gather(*(_check(resources, name) for name in names))
        cache.checks = dict(zip(names, results, strict=True))
        cache.checked_at = time.monotonic()
    checks = dict(cache.checks)
    results = list(checks.values())
    ready = all(result == "ok" for result in results)
    body: dict[str, Any] = {"status": "ok" if ready else "unavailable", "checks": checks}
    if ready:
        return JSONResponse(body)
    failing = [name for name, result in checks.items() if result != "ok"]
    body.update(
        type="/problems/not-ready",
        title="Service Unavailable",
        status=503,
        detail=f"unreachable: {', '.join(failing)}",
        instance="/readyz",
    )
    return JSONResponse(body, status_code=503, media_type="application/problem+json")


async def _check(resources: Resources, name: str) -> str:
    probe = resources.probes.get(name)
    if probe is None:
        return "failed: not configured"
    try:
        await asyncio.wait_for(probe(), resources.settings.dependency_timeout.total_seconds())
    except Exception as error:  # any failure means "not ready"; the name says which
        return f"failed: {type(error).__name__}"
    return "ok"
