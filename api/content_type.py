"""Bodies must be JSON: anything else sent to a write route is a 415 problem."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from api.problems import Problem, send_problem

_WRITES = {"POST", "PUT", "PATCH"}


class JsonOnlyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in _WRITES and not _is_json(scope):
            await _refuse(scope, send)
            return
        await self.app(scope, receive, send)


def _is_json(scope: Scope) -> bool:
    headers = dict(scope["headers"])
    has_body = headers.get(b"content-length", b"0") != b"0" or b"transfer-encoding" in headers
    if not has_body:
        return True  # nothing to parse: routes with optional bodies accept none
    media_type: bytes = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    return media_type == b"application/json" or media_type.endswith(b"+json")


async def _refuse(scope: Scope, send: Send) -> None:
    problem = Problem(
        415,
        "/problems/unsupported-media-type",
        "send the body as application/json",
        headers={"Accept-Post": "application/json"},
    )
    await send_problem(scope, send, problem)
