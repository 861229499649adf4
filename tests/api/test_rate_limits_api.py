"""Token-bucket rate limits in Redis, shared by every API replica."""

from __future__ import annotations

from typing import Any

import pytest

from domain.users import Role, Tier
from infra.settings import Settings
from tests.api.conftest import Caller, api_client
from tests.factories import add_user
from tests.stack import Stack


def redis_urls(stack: Stack) -> dict[str, str]:
    urls = {"embedded": stack.redis_url}
    if stack.system_redis_url:
        urls["system"] = stack.system_redis_url
    return urls


@pytest.fixture(params=["embedded", "system"])
def redis_url(request: pytest.FixtureRequest, stack: Stack) -> str:
    # The machine's own Redis joins in when it runs (CI has one); else embedded twice.
    return redis_urls(stack).get(request.param, stack.redis_url)


def limited(settings: Settings, redis_url: str, quota: int, **extra: Any) -> Settings:
    return settings.model_copy(
        update={
            "redis_url": redis_url,
            "rate_limits": {"customer:standard": quota, "customer:premium": quota * 10},
            "rate_limit_window": 60,
            **extra,
        }
    )


async def test_every_answer_carries_the_bucket_and_an_empty_one_is_429(
    settings: Settings, redis_url: str, session_uow: Any
) -> None:
    caller = Caller(*await add_user(session_uow))
    async with api_client(limited(settings, redis_url, quota=3)) as http:
        answers = [await http.get("/v1/users/me", headers=caller.auth) for _ in range(4)]
        missing = await http.get("/v1/orders/ord_missing", headers=caller.auth)

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["RateLimit-Policy"] == '"default";q=3;w=60'
    assert [a.headers["RateLimit"].split(";")[1] for a in answers[:3]] == ["r=2", "r=1", "r=0"]
    refused = answers[3]
    assert refused.json()["type"] == "/problems/rate-limited"
    assert int(refused.headers["Retry-After"]) in range(1, 21)
    assert missing.status_code == 429 and "RateLimit" in missing.headers


async def test_two_replicas_share_one_budget(
    settings: Settings, redis_url: str, session_uow: Any
) -> None:
    caller = Caller(*await add_user(session_uow))
    config = limited(settings, redis_url, quota=4)
    async with api_client(config) as first, api_client(config) as second:
        statuses = [
            (await replica.get("/v1/users/me", headers=caller.auth)).status_code
            for replica in (first, second, first, second, first, second)
        ]

    assert statuses == [200, 200, 200, 200, 429, 429]


async def test_premium_customers_get_the_larger_quota(
    settings: Settings, redis_url: str, session_uow: Any
) -> None:
    premium = Caller(*await add_user(session_uow, Role.CUSTOMER, Tier.PREMIUM))
    async with api_client(limited(settings, redis_url, quota=2)) as http:
        statuses = [
            (await http.get("/v1/users/me", headers=premium.auth)).status_code for _ in range(5)
        ]
        policy = (await http.get("/v1/users/me", headers=premium.auth)).headers["RateLimit-Policy"]

    assert statuses == [200] * 5
    assert policy == '"default";q=20;w=60'


async def test_without_redis_the_limiter_fails_open_or_closed_as_configured(
    settings: Settings, session_uow: Any
) -> None:
    caller = Caller(*await add_user(session_uow))
    down = "redis://127.0.0.1:9/0"
    async with api_client(limited(settings, down, 1, rate_limit_fail_open=True)) as http:
        open_answer = await http.get("/v1/users/me", headers=caller.auth)
    async with api_client(limited(settings, down, 1, rate_limit_fail_open=False)) as http:
        closed_answer = await http.get("/v1/users/me", headers=caller.auth)

    assert open_answer.status_code == 200 and "RateLimit" not in open_answer.headers
    assert closed_answer.status_code == 503
    assert closed_answer.json()["dependency"] == "redis"


async def test_health_and_webhooks_are_not_rate_limited(settings: Settings, redis_url: str) -> None:
    async with api_client(limited(settings, redis_url, quota=1)) as http:
        statuses = {(await http.get("/livez")).status_code for _ in range(5)}
        headers = (await http.get("/livez")).headers

    assert statuses == {200}
    assert "RateLimit" not in headers
