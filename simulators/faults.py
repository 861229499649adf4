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
    error_rate: float = Field(0.0, ge=0.0, le=1.0, description="Share of calls answered 503.")
    latency_ms: int = Field(0, ge=0, le=60_000, description="Delay added to every call.")
    down: bool = Field(False, description="Answer every call with 503.")
    lose_replies: int = Field(
        0,
        ge=0,
        description="Carry out the next N calls, then answer 503 as if the reply was lost.",
    )


class SimulatorState:
    """Faults plus the replay cache that makes a retried call harmless."""

    def __init__(self, store: Store) -> None:
        self.faults = Faults()
        self.store = store
        self.calls = 0

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
        return {"calls": state.calls, **ledger()}

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
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.down or random.random() < faults.error_rate:
            return JSONResponse({"error": "service_unavailable"}, status_code=503)
        response = await call_next(request)
        if faults.lose_replies > 0:
            faults.lose_replies -= 1
            return JSONResponse({"error": "reply_lost"}, status_code=503)
        return response
