"""What every process of the service starts from: settings, logging and tracing set up
once, and each shared resource (database pools, the Temporal client, Redis, one HTTP
client per provider) created on first use and closed with the process.

The API, the worker and `orders-admin` all begin with `Bootstrap.start(...)`; what
differs between them is only which resources they ask for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import sqlalchemy.exc
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.service import RPCError

from db.engine import make_engine, make_session_factory
from db.unit_of_work import UnitOfWork
from infra import tracing
from infra.log_config import configure_logging
from infra.settings import Settings, settings_or_exit
from infra.temporal_client import connect_temporal
from providers.carrier import CarrierClient
from providers.email import EmailClient
from providers.http import ProviderHttp
from providers.payment import PaymentClient


class BadSetting(Exception):
    """A setting that cannot be used as given; the message names it."""


class Bootstrap:
    def __init__(self, settings: Settings, service_name: str = "orders") -> None:
        self.settings = settings
        self.service_name = service_name
        self._engines: dict[str, AsyncEngine] = {}
        self._sessions: dict[str, async_sessionmaker[AsyncSession]] = {}
        self._http: dict[str, ProviderHttp] = {}
        self._redis: Redis | None = None
        self._temporal: Client | None = None

    @classmethod
    def start(cls, service_name: str, settings: Settings | None = None) -> Bootstrap:
        """Reads the settings (unless given; refused ones end the process with a line each),
        sets up logging and tracing for the process."""
        settings = settings or settings_or_exit(service_name)
        if settings.log_format == "json":
            configure_logging(settings.log_level)
        tracing.configure(service_name)
        return cls(settings, service_name)

    # -- PostgreSQL -------------------------------------------------------------------

    def engine(self, pool: str = "main", **options: Any) -> AsyncEngine:
        """The connection pool named `pool`, made on first use with these options (a
        process keeps pools apart where one must not wait behind another's work)."""
        if pool not in self._engines:
            options.setdefault("connect_timeout", self.settings.dependency_timeout.total_seconds())
            # pg_stat_activity (and the server's log) then say whose connection it is.
            options.setdefault("application_name", f"{self.service_name}/{pool}")
            try:
                self._engines[pool] = make_engine(self.settings.database_url, **options)
            except sqlalchemy.exc.ArgumentError:
                raise BadSetting(f"{self.settings.database_url!r} is not a database URL") from None
            tracing.instrument_database()
        return self._engines[pool]

    def sessions(self, pool: str = "main") -> async_sessionmaker[AsyncSession]:
        if pool not in self._sessions:
            self._sessions[pool] = make_session_factory(self.engine(pool))
        return self._sessions[pool]

    def autocommit_engine(self, pool: str = "main") -> AsyncEngine:
        """The pool `pool`, its connections used outside a transaction: each statement
        commits on its own, with no `BEGIN` and `COMMIT` or `ROLLBACK` around it. For
        reads (under READ COMMITTED each statement sees its own snapshot inside a
        transaction too, so a read of several statements sees no less) and for writes
        that are one statement."""
        return self.engine(pool).execution_options(isolation_level="AUTOCOMMIT")

    def read_sessions(self, pool: str = "main") -> async_sessionmaker[AsyncSession]:
        """Sessions on `autocommit_engine`."""
        key = f"{pool}:autocommit"
        if key not in self._sessions:
            self._sessions[key] = make_session_factory(self.autocommit_engine(pool))
        return self._sessions[key]

    def unit_of_work_factory(self, pool: str = "main") -> Callable[[], UnitOfWork]:
        sessions = self.sessions(pool)
        return lambda: UnitOfWork(sessions)

    def autocommit_unit_factory(self, pool: str = "main") -> Callable[[], UnitOfWork]:
        """Units on `autocommit_engine`: a step that reads before its provider call
        spares the `BEGIN` and `ROLLBACK` around it, and authentication, one statement
        that also records the key's use, its `BEGIN` and `COMMIT`. Nothing read here
        is locked, and its `commit()` has nothing to do."""
        sessions = self.read_sessions(pool)
        return lambda: UnitOfWork(sessions)

    # -- Temporal and Redis -------------------------------------------------------------

    async def temporal(
        self,
        *,
        lazy: bool = False,
        runtime: Runtime | None = None,
        give_up_after: timedelta | None = None,
    ) -> Client:
        """The process's one Temporal client; the options count on the first call only."""
        if self._temporal is None:
            self._temporal = await connect_temporal(
                self.settings, lazy=lazy, runtime=runtime, give_up_after=give_up_after
            )
        return self._temporal

    def redis(self) -> Redis:
        if self._redis is None:
            timeout = self.settings.dependency_timeout.total_seconds()
            self._redis = Redis.from_url(
                self.settings.redis_url, socket_timeout=timeout, socket_connect_timeout=timeout
            )
        return self._redis

    # -- Providers ----------------------------------------------------------------------

    def payments(self) -> PaymentClient:
        return PaymentClient(self._http_client(self.settings.payment_url))

    def carrier(self) -> CarrierClient:
        return CarrierClient(self._http_client(self.settings.carrier_url))

    def email(self) -> EmailClient:
        return EmailClient(self._http_client(self.settings.email_url))

    def _http_client(self, base_url: str) -> ProviderHttp:
        """One pooled client per provider, shared by every step and sink that calls it."""
        if base_url not in self._http:
            self._http[base_url] = ProviderHttp(
                base_url, timeout=self.settings.provider_timeout.total_seconds()
            )
        return self._http[base_url]

    # -- Readiness ----------------------------------------------------------------------

    def probes(self) -> dict[str, Callable[[], Awaitable[Any]]]:
        """A cheap call to each dependency this process has made, for /readyz."""
        checks: dict[str, Callable[[], Awaitable[Any]]] = {}
        if "main" in self._engines:
            checks["database"] = self._ping_database
        if self._redis is not None:
            checks["redis"] = self._redis.ping
        if self._temporal is not None:
            service = self._temporal.workflow_service
            checks["temporal"] = lambda: service.get_system_info(
                GetSystemInfoRequest(), timeout=self.settings.dependency_timeout
            )
        return checks

    async def _ping_database(self) -> None:
        async with self.engine().connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def __aenter__(self) -> Bootstrap:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Closes whatever was made, each once."""
        closing: list[Awaitable[Any]] = [client.aclose() for client in self._http.values()]
        closing += [engine.dispose() for engine in self._engines.values()]
        if self._redis is not None:
            closing.append(self._redis.aclose())
        await asyncio.gather(*closing, return_exceptions=True)
        self._http.clear()
        self._engines.clear()
        self._sessions.clear()
        self._redis = None


# SQLSTATE classes of a database that cannot serve: connection exception, invalid
# authorization, invalid catalog name, insufficient resources, operator intervention.
_UNREACHABLE_STATES = frozenset({"08", "28", "3D", "53", "57"})
# The errors that may mean a dependency is out of reach; unreachable_dependency decides.
DEPENDENCY_ERRORS: tuple[type[Exception], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.DBAPIError,
    RPCError,
    RuntimeError,
    OSError,
)


def unreachable_dependency(error: BaseException) -> str | None:
    """The dependency an error says is out of reach ("database", "temporal"), or None
    when the error means something else. The API answers 503 for these, orders-admin
    exits 5: one rule for both."""
    if isinstance(error, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError):
        return "database"
    if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
        return "database"  # lost under the statement; the pool has replaced it
    # Refused while connecting (no such database or role, too many connections, the
    # server shutting down), by the SQLSTATE class; a protocol violation is the
    # statement's fault (a NUL in a value), not the server's.
    if isinstance(error, sqlalchemy.exc.DBAPIError):
        state = str(getattr(error.orig, "sqlstate", "") or "")
        if state[:2] in _UNREACHABLE_STATES and state != "08P01":
            return "database"
    if isinstance(error, RPCError):
        return "temporal"
    # The Temporal client connects lazily; a refused first connection surfaces so.
    if isinstance(error, RuntimeError) and str(error).startswith("Failed client connect"):
        return "temporal"
    if isinstance(error, OSError):
        return "database"
    return None
