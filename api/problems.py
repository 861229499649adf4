"""RFC 9457 problem details: the only shape an error leaves this service in."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Message, Scope, Send

from api.problem_types import title_of
from infra.bootstrap import DEPENDENCY_ERRORS, unreachable_dependency

log = logging.getLogger("orders.api")

PROBLEM_JSON = "application/problem+json"
# For `responses=` in route declarations: the error bodies are problem documents.
PROBLEM_RESPONSE: dict[str, Any] = {
    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
}


class Problem(Exception):
    """Raise anywhere in the API to answer with a problem document."""

    def __init__(
        self,
        status: int,
        type_: str,
        detail: str | None = None,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or type_)
        self.status = status
        self.type = type_
        # One title per type wherever it is raised (api/problem_types.py).
        self.title = title_of(type_) or title or HTTPStatus(status).phrase
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions


def unavailable(dependency: str) -> Problem:
    return Problem(
        503,
        "/problems/dependency-unavailable",
        f"{dependency} is unreachable; try again shortly",
        title="Service Unavailable",
        headers={"Retry-After": "5"},
        dependency=dependency,
    )


async def send_problem(scope: Scope, send: Send, problem: Problem) -> None:
    """Answers with a problem straight from ASGI middleware, before any route runs."""
    response = JSONResponse(
        {
            "type": problem.type,
            "title": problem.title,
            "status": problem.status,
            "detail": problem.detail,
            "instance": scope.get("path", ""),
        },
        status_code=problem.status,
        headers=problem.headers,
        media_type=PROBLEM_JSON,
    )
    await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


def problem_response(request: Request, problem: Problem) -> JSONResponse:
    body: dict[str, Any] = {
        "type": problem.type,
        "title": problem.title,
        "status": problem.status,
        "instance": request.url.path,
    }
    if problem.detail:
        body["detail"] = problem.detail
    body.update(problem.extensions)
    return JSONResponse(
        body, status_code=problem.status, headers=problem.headers, media_type=PROBLEM_JSON
    )


_TYPES = {
    400: "/problems/bad-request",
    401: "/problems/unauthorized",
    403: "/problems/forbidden",
    404: "/problems/not-found",
    405: "/problems/method-not-allowed",
    413: "/problems/payload-too-large",
    415: "/problems/unsupported-media-type",
}


def _pointer(location: tuple[int | str, ...]) -> str:
    return "/" + "/".join(str(part) for part in location)


def _methods_allowed(request: Request) -> list[str]:
    """Every method some route serves at this path: Starlette names only the first
    route that matched the path, so `DELETE /v1/orders` would say `Allow: POST`."""
    routes = request.app.router.routes
    return [
        method
        for method in ("DELETE", "GET", "PATCH", "POST", "PUT")
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # FastAPI answers a body its JSON parser gave up on (nesting past the recursion
        # limit, bytes that are not UTF-8) with a bare 400: it is malformed JSON too.
        if exc.status_code == 400 and isinstance(exc.__cause__, RecursionError | ValueError):
            return problem_response(
                request,
                Problem(
                    400,
                    "/problems/malformed-json",
                    "the body is not valid JSON (nested too deeply, or not UTF-8)",
                ),
            )
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_methods_allowed(request))
        problem = Problem(
            exc.status_code,
            _TYPES.get(exc.status_code, f"/problems/http-{exc.status_code}"),
            exc.detail if isinstance(exc.detail, str) else None,
            headers=headers,
        )
        return problem_response(request, problem)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(error.get("type") == "json_invalid" for error in errors):
            return problem_response(
                request, Problem(400, "/problems/malformed-json", "the body is not valid JSON")
            )
        details = []
        for error in errors:
            location = tuple(error.get("loc", ()))
            item: dict[str, Any] = {"detail": error.get("msg", "invalid")}
            if location and location[0] == "body":
                item["pointer"] = _pointer(location[1:])
            elif location:
                item["parameter"] = str(location[-1])
            details.append(item)
        problem = Problem(
            422,
            "/problems/validation",
            "the request is not valid",
            title="Unprocessable Content",
            errors=details,
        )
        return problem_response(request, problem)

    async def on_dependency(request: Request, exc: Exception) -> JSONResponse:
        dependency = unreachable_dependency(exc)
        if dependency is None:
            return await on_anything(request, exc)
        log.warning("%s unreachable on %s: %s", dependency, request.url.path, exc)
        return problem_response(request, unavailable(dependency))

    # Registered by class, so that they are answered like any refusal and not as a
    # crash that the server logs with its stack.
    for error_class in DEPENDENCY_ERRORS:
        app.add_exception_handler(error_class, on_dependency)

    @app.exception_handler(Exception)
    async def on_anything(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(
            request, Problem(500, "/problems/internal", "an unexpected error occurred")
        )
