"""Fault injection and idempotent replay shared by every simulator.

Faults live in memory (a restart clears them, as a test that injects them expects);
replies to idempotent calls are kept in the simulator's store, so a call retried
after the simulator restarted still gets the first answer.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from simulators.store import Store


class Faults(BaseModel):
    error_rate: float = Field(
        0.0, ge=0.0, le=1.0, description="Share of calls answered with `error_status`."
    )
    latency_ms: int = Field(0, ge=0, le=60_000, description="Delay added to every call.")
    down: bool = Field(False, description="Answer every call with `error_status`.")
    fail_next: int = Field(
        0, ge=0, description="Answer the next N calls with `error_status`, then serve again."
    )
    error_status: int = Field(
        503,
        ge=400,
        le=599,
        description="What `down`, `error_rate` and `fail_next` answer: 503 for an outage, "
        "429 for throttling, 409 for a request with the same idempotency key still in "
        'progress, 408 or 425 for the other "ask again later" answers.',
    )
    retry_after_s: int | None = Field(
        None, ge=0, le=86_400, description="Sent as `Retry-After` with those answers when set."
    )
    only_methods: list[str] = Field(
        default_factory=list,
        description="Limit `down`, `error_rate` and `fail_next` to these HTTP methods "
        '(e.g. ["GET"]: lookups fail while bookings go through). Empty: every call.',
    )
    lose_replies: int = Field(
        0,
        ge=0,
        description="Carry out the next N calls, then answer 503 as if the reply was lost.",
    )


# The `error` of each injected answer, as a real provider words it.
_ERRORS = {
    408: "request_timeout",
    409: "request_in_progress",
    425: "too_early",
    429: "rate_limited",
    503: "service_unavailable",
}


def injected_error(faults: Faults) -> JSONResponse:
    headers = {}
    if faults.retry_after_s is not None:
        headers["Retry-After"] = str(faults.retry_after_s)
    error = _ERRORS.get(faults.error_status, "injected_error")
    return JSONResponse({"error": error}, status_code=faults.error_status, headers=headers)


class SimulatorState:
    """Faults plus the replay cache that makes a retried call harmless."""

    def __init__(self, store: Store) -> None:
        self.faults = Faults()
        self.store = store
        self.calls = 0
        self.in_flight: set[str] = set()

    def reset(self) -> None:
        self.faults = Faults()
        self.store.clear()
        self.calls = 0

    async def idempotent(
        self,
        operation: str,
        key: str | None,
        perform: Callable[[], Awaitable[tuple[int, dict[str, Any]]]],
    ) -> JSONResponse:
        """Runs `perform` once per (operation, key); later calls get the first reply."""
        reply_key = f"{operation}\x00{key}"
        if key is not None and (first := self.store.get("reply", reply_key)) is not None:
            return JSONResponse(
                first["body"], status_code=first["status"], headers={"Idempotent-Replayed": "true"}
            )
        # What the call did and the reply that reports it are committed together, so
        # a crash between them cannot make a retry do it a second time.
        with self.store.transaction():
            status, body = await perform()
            if key is not None and status < 500:
                self.store.put("reply", reply_key, {"status": status, "body": body})
        return JSONResponse(body, status_code=status)


def install(
    app: FastAPI,
    state: SimulatorState,
    ledger: Callable[[], dict[str, Any]],
    reset: Callable[[], None],
) -> None:
    """Adds `/admin/*` and the middleware that injects faults into every other path."""
    admin = APIRouter(prefix="/admin", tags=["admin"])

    @admin.put("/faults")
    async def set_faults(faults: Faults) -> Faults:
        state.faults = faults
        return state.faults

    @admin.get("/faults")
    async def get_faults() -> Faults:
        return state.faults

    @admin.get("/ledger")
    async def get_ledger() -> dict[str, Any]:
        return {"calls": state.calls, "in_flight": sorted(state.in_flight), **ledger()}

    @admin.post("/reset", status_code=204)
    async def reset_all() -> None:
        state.reset()
        reset()

    @admin.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(admin)

    @app.middleware("http")
    async def inject_faults(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.url.path.startswith("/admin"):
            return await call_next(request)
        state.calls += 1
        faults = state.faults
        # A call whose idempotency key is still being served (a retry that overlapped
        # the first attempt) is told so, as real providers do, instead of run twice.
        key = request.headers.get("Idempotency-Key")
        if key is not None and key in state.in_flight:
            return JSONResponse({"error": "request_in_progress"}, status_code=409)
        applies = not faults.only_methods or request.method in faults.only_methods
        if applies and faults.fail_next > 0:
            faults.fail_next -= 1
            return injected_error(faults)
        if applies and (faults.down or random.random() < faults.error_rate):
            return injected_error(faults)
        if key is not None:
            state.in_flight.add(key)
        try:
            if faults.latency_ms:
                await asyncio.sleep(faults.latency_ms / 1000)
            response = await call_next(request)
        finally:
            state.in_flight.discard(key or "")
        if faults.lose_replies > 0:
            faults.lose_replies -= 1
            return JSONResponse({"error": "reply_lost"}, status_code=503)
        return response
