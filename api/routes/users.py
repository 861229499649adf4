"""/v1/users: who is calling."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import CurrentCaller
from api.problems import Problem
from api.resources import ResourcesDep
from api.schemas import UserOut

router = APIRouter(prefix="/v1/users", tags=["users"])


@router.get("/me", summary="The calling user")
async def me(caller: CurrentCaller, resources: ResourcesDep) -> UserOut:
    """The user that owns the API key of this request."""
    async with resources.unit_of_work() as uow:
        user = await uow.users.get(caller.user_id)
    if user is None:
        raise Problem(404, "/problems/not-found", "the user no longer exists")
    return UserOut.model_validate(user, from_attributes=True)
