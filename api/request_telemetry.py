"""What every request leaves behind: a request id, RED metrics under its route
template (never its raw path, so ids in URLs do not become label values), and one
log line."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.api_metrics import HTTP_DURATION, HTTP_ERRORS, HTTP_REQUESTS

log = logging.getLogger("orders.api.requests")

_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestTelemetryMiddleware:
    """Takes `X-Request-ID` from the caller (or makes one) and echoes it; counts and
    times the request; logs its method, route template, status, duration and caller."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _VALID_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            status_class = f"{status // 100}xx"
            HTTP_REQUESTS.labels(method, route, status_class).inc()
            if status >= 500:
                HTTP_ERRORS.labels(method, route, status_class).inc()
            HTTP_DURATION.labels(method, route).observe(elapsed)
            caller = scope.get("state", {}).get("caller")
            log.info(
                "%s %s %s",
                method,
                scope["path"],
                status,
                extra={
                    "request_id": request_id,
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "caller_id": getattr(caller, "user_id", None),
                },
            )
