"""/v1/users and /v1/api-keys: who may call, with which keys."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy.exc import IntegrityError

from api.auth import AdminCaller, CurrentCaller
from api.pagination import CursorParam, Limit, Page, decode_time_cursor, time_cursor
from api.problems import PROBLEM_RESPONSE, Problem
from api.resources import ResourcesDep
from api.schemas.users import ApiKeyCreated, ApiKeyOut, UserCreated, UserIn, UserOut
from domain.api_keys import generate_key
from services import accounts

router = APIRouter(tags=["users"])


@router.post(
    "/v1/users",
    status_code=201,
    summary="Create a user",
    responses={409: {"description": "The email is taken", **PROBLEM_RESPONSE}},
)
async def create_user(
    body: UserIn, caller: AdminCaller, resources: ResourcesDep, response: Response
) -> UserCreated:
    """Creates a user with a first API key. The key is in this answer only."""
    try:
        async with resources.unit_of_work() as uow:
            user, secret = await accounts.create_user(
                uow,
                email=body.email,
                name=body.name,
                role=body.role,
                tier=body.tier,
                pepper=resources.settings.api_key_pepper,
            )
            await uow.commit()
    except IntegrityError:
        raise Problem(
            409, "/problems/email-taken", f"a user with email {body.email} exists"
        ) from None
    response.headers["Location"] = f"/v1/users/{user.id}"
    return UserCreated(user=UserOut.model_validate(user), api_key=secret)


@router.get("/v1/users", summary="List users")
async def list_users(
    caller: AdminCaller, resources: ResourcesDep, limit: Limit = 20, cursor: CursorParam = None
) -> Page[UserOut]:
    """Oldest first."""
    after = decode_time_cursor(cursor)
    async with resources.unit_of_work() as uow:
        rows = await uow.users.page(after=after, limit=limit + 1)
    page = rows[:limit]
    next_cursor = time_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None
    return Page[UserOut](data=[UserOut.model_validate(u) for u in page], next_cursor=next_cursor)


@router.get("/v1/users/me", summary="The calling user")
async def get_me(caller: CurrentCaller, resources: ResourcesDep) -> UserOut:
    """The user that owns the API key of this request (any role)."""
    return await _user(resources, caller.user_id)


@router.get(
    "/v1/users/{user_id}",
    summary="Get a user",
    responses={404: {"description": "No such user", **PROBLEM_RESPONSE}},
)
async def get_user(user_id: str, caller: AdminCaller, resources: ResourcesDep) -> UserOut:
    """One user, by id."""
    return await _user(resources, user_id)


@router.post(
    "/v1/users/{user_id}/api-keys",
    status_code=201,
    summary="Issue an API key",
    responses={404: {"description": "No such user", **PROBLEM_RESPONSE}},
)
async def issue_api_key(
    user_id: str, caller: AdminCaller, resources: ResourcesDep, response: Response
) -> ApiKeyCreated:
    """A new key for the user; its secret is in this answer only. Older keys keep working
    until revoked, so keys can be rotated without downtime."""
    async with resources.unit_of_work() as uow:
        if await uow.users.get(user_id) is None:
            raise _no_user(user_id)
        key = generate_key(resources.settings.api_key_pepper)
        row = accounts.add_key(uow, user_id, key)
        await uow.commit()
    response.headers["Location"] = f"/v1/api-keys/{row.id}"
    return ApiKeyCreated(
        id=row.id, api_key=key.secret, prefix=key.prefix, created_at=row.created_at
    )


@router.get(
    "/v1/users/{user_id}/api-keys",
    summary="List a user's API keys",
    responses={404: {"description": "No such user", **PROBLEM_RESPONSE}},
)
async def list_api_keys(
    user_id: str, caller: AdminCaller, resources: ResourcesDep
) -> list[ApiKeyOut]:
    """Prefixes, creation, last use and revocation of each key; never the secrets."""
    async with resources.unit_of_work() as uow:
        if await uow.users.get(user_id) is None:
            raise _no_user(user_id)
        keys = await uow.users.keys_of(user_id)
    return [ApiKeyOut.model_validate(key) for key in keys]


@router.delete(
    "/v1/api-keys/{key_id}",
    status_code=204,
    summary="Revoke an API key",
    responses={404: {"description": "No such key", **PROBLEM_RESPONSE}},
)
async def revoke_api_key(key_id: str, caller: AdminCaller, resources: ResourcesDep) -> None:
    """The key is refused from the next request on, on every API replica (keys are
    checked against the database on each call)."""
    async with resources.unit_of_work() as uow:
        if await uow.users.get_key(key_id) is None:
            raise Problem(404, "/problems/not-found", f"there is no API key {key_id}")
        await uow.users.revoke_key(key_id)
        await uow.commit()


async def _user(resources: ResourcesDep, user_id: str) -> UserOut:
    async with resources.unit_of_work() as uow:
        user = await uow.users.get(user_id)
    if user is None:
        raise _no_user(user_id)
    return UserOut.model_validate(user)


def _no_user(user_id: str) -> Problem:
    return Problem(404, "/problems/not-found", f"there is no user {user_id}")
