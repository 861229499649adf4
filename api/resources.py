"""What the API process creates once, in its lifespan, and hands to every request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request

from api.load_shedding import LoadShedder
from api.rate_limit import RateLimiter
from api.stream_slots import StreamSlots
from infra.settings import Settings
from services.wiring import Services


@dataclass
class Readiness:
    """The last readiness answer and when it was taken."""

    checks: dict[str, str] = field(default_factory=dict)
    checked_at: float = float("-inf")


@dataclass
class Resources:
    settings: Settings
    services: Services
    rate_limiter: RateLimiter
    stream_slots: StreamSlots
    shedder: LoadShedder
    # A cheap call to each dependency, by name, for /readyz (infra/bootstrap.py).
    probes: dict[str, Callable[[], Awaitable[Any]]]
    readiness: Readiness = field(default_factory=Readiness)


# Dependencies are coroutines: FastAPI runs a plain function in its thread pool, a
# thread hop on every request for what is a lookup.
async def get_resources(request: Request) -> Resources:
    return _resources_of(request)


async def get_services(request: Request) -> Services:
    return _resources_of(request).services


def _resources_of(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]
ServicesDep = Annotated[Services, Depends(get_services)]
