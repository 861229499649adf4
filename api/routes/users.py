"""/v1/users and /v1/api-keys: who may call, with which keys."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.auth import AdminCaller, CurrentCaller
from api.links import segment
from api.pagination import CursorParam, Limit, Page, decode_time_cursor, time_cursor
from api.problems import PROBLEM_RESPONSE
from api.resources import ServicesDep
from api.schemas.users import ApiKeyCreated, ApiKeyOut, UserCreated, UserIn, UserOut
from services.accounts import NewUser

router = APIRouter(tags=["users"])


@router.post(
    "/v1/users",
    status_code=201,
    summary="Create a user",
    responses={409: {"description": "The email is taken", **PROBLEM_RESPONSE}},
)
async def create_user(
    body: UserIn, caller: AdminCaller, services: ServicesDep, response: Response
) -> UserCreated:
    """Creates a user with a first API key. The key is in this answer only."""
    created = await services.accounts.create_user(
        NewUser(email=body.email, name=body.name, role=body.role, tier=body.tier)
    )
    response.headers["Location"] = f"/v1/users/{segment(created.user.id)}"
    return UserCreated(user=UserOut.model_validate(created.user), api_key=created.first_key.secret)


@router.get("/v1/users", summary="List users")
async def list_users(
    caller: AdminCaller, services: ServicesDep, limit: Limit = 20, cursor: CursorParam = None
) -> Page[UserOut]:
    """Oldest first."""
    users = await services.accounts.users(after=decode_time_cursor(cursor), limit=limit + 1)
    page = users[:limit]
    next_cursor = time_cursor(page[-1].created_at, page[-1].id) if len(users) > limit else None
    return Page[UserOut](data=[UserOut.model_validate(u) for u in page], next_cursor=next_cursor)


@router.get("/v1/users/me", summary="The calling user")
async def get_me(caller: CurrentCaller, services: ServicesDep) -> UserOut:
    """The user that owns the API key of this request (any role)."""
    return UserOut.model_validate(await services.accounts.user(caller.user_id))


@router.get(
    "/v1/users/{user_id}",
    summary="Get a user",
    responses={404: {"description": "No such user", **PROBLEM_RESPONSE}},
)
async def get_user(user_id: str, caller: AdminCaller, services: ServicesDep) -> UserOut:
    """One user, by id."""
    return UserOut.model_validate(await services.accounts.user(user_id))


@router.post(
    "/v1/users/{user_id}/api-keys",
    status_code=201,
    summary="Issue an API key",
    responses={404: {"description": "No such user", **PROBLEM_RESPONSE}},
)
async def issue_api_key(
    user_id: str, caller: AdminCaller, services: ServicesDep, response: Response
) -> ApiKeyCreated:
    """A new key for the user; its secret is in this answer only. Older keys keep working
    until revoked, so keys can be rotated without downtime."""
    issued = await services.accounts.issue_key(user_id)
    response.headers["Location"] = f"/v1/api-keys/{segment(issued.key.id)}"
    return ApiKeyCreated(
        id=issued.key.id,
        api_key=issued.secret,
        prefix=issued.key.prefix,
        created_at=issued.key.created_at,
    )


@router.get(
    "/v1/users/{user_id}/api-keys",
    summary="List a user's API keys",
    responses={404: {"description": "No such user", **PROBLEM_RESPONSE}},
)
async def list_api_keys(
    user_id: str, caller: AdminCaller, services: ServicesDep
) -> list[ApiKeyOut]:
    """Prefixes, creation, last use and revocation of each key; never the secrets."""
    return [ApiKeyOut.model_validate(key) for key in await services.accounts.keys_of(user_id)]


@router.delete(
    "/v1/api-keys/{key_id}",
    status_code=204,
    summary="Revoke an API key",
    responses={404: {"description": "No such key", **PROBLEM_RESPONSE}},
)
async def revoke_api_key(key_id: str, caller: AdminCaller, services: ServicesDep) -> None:
    """The key is refused from the next request on, on every API replica (keys are
    checked against the database on each call)."""
    await services.accounts.revoke_key(key_id)
