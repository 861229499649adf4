"""What the API process creates once, in its lifespan, and hands to every request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.client import Client

from api.load_shedding import LoadShedder
from api.rate_limit import RateLimiter
from db.order_reads import OrderReads
from db.unit_of_work import UnitOfWork
from infra.settings import Settings
from services.placing import OrderPlacing


@dataclass
class Readiness:
    """The last readiness answer and when it was taken."""

    checks: dict[str, str] = field(default_factory=dict)
    checked_at: float = float("-inf")


@dataclass
class Resources:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    temporal: Client
    redis: Redis
    rate_limiter: RateLimiter
    shedder: LoadShedder
    order_reads: OrderReads
    placing: OrderPlacing
    readiness: Readiness = field(default_factory=Readiness)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)


def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]
