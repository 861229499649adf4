"""Bearer API keys in, a Caller out; role checks as dependencies."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import Problem
from api.resources import Resources, get_resources
from db.unit_of_work import UnitOfWork
from domain.api_keys import hash_key
from domain.users import Caller, Role, Tier

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
    key_hash = hash_key(credentials.credentials, resources.settings.api_key_pepper)
    async with UnitOfWork(resources.sessions) as uow:
        user = await uow.users.by_key_hash(key_hash)
        if user is not None:
            await uow.users.touch_key(key_hash)
            await uow.commit()
    if user is None:
        raise _unauthorized("the API key is unknown or revoked")
    caller = Caller(user.id, Role(user.role), Tier(user.tier), user.email)
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
