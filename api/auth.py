"""Bearer API keys in, a Caller out; role checks as dependencies."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import Problem
from api.resources import Resources, get_resources
from domain.users import Caller, Role

bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer ok_...`")


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "/problems/unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


async def current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    resources: Annotated[Resources, Depends(get_resources)],
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("an API key is required: Authorization: Bearer <key>")
    caller = await resources.services.accounts.authenticate(credentials.credentials)
    if caller is None:
        raise _unauthorized("the API key is unknown or revoked")
    request.state.caller = caller
    # Every authenticated request spends a token; its answer carries the bucket's state.
    request.state.rate_limit = await resources.rate_limiter.check(caller)
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]


def require(*roles: Role) -> Callable[..., Coroutine[Any, Any, Caller]]:
    """A dependency that lets only these roles through (403 for the others)."""

    async def check(caller: CurrentCaller) -> Caller:
        if caller.role not in roles:
            raise Problem(403, "/problems/forbidden", f"the {caller.role} role may not do this")
        return caller

    return check


OpsCaller = Annotated[Caller, Depends(require(Role.OPS, Role.ADMIN))]
AdminCaller = Annotated[Caller, Depends(require(Role.ADMIN))]
