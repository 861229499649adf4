"""What a provider's answer means: "later" (retried, after Retry-After when given) or
"no" (a refusal no retry can mend); and how long a call may take."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from domain.errors import ProviderRejected
from providers.http import (
    ProviderHttp,
    ProviderResponse,
    ProviderUnavailable,
    call_timeout,
    calls_until,
    raise_for_status,
)


def answer(status: int, body: object = None, **headers: str) -> ProviderResponse:
    content = json.dumps(body or {}).encode()
    return ProviderResponse("POST", "/authorizations/a1/capture", status, content, headers)


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504])
def test_not_now_answers_are_retried(status: int) -> None:
    with pytest.raises(ProviderUnavailable):
        raise_for_status(answer(status))


def test_a_409_for_a_request_still_in_progress_is_retried() -> None:
    with pytest.raises(ProviderUnavailable):
        raise_for_status(answer(409, {"error": "request_in_progress"}))


@pytest.mark.parametrize(
    ("status", "body"),
    [(400, {}), (401, {}), (404, {}), (409, {"error": "cannot capture a voided one"}), (422, {})],
)
def test_other_client_errors_are_refusals(status: int, body: object) -> None:
    with pytest.raises(ProviderRejected):
        raise_for_status(answer(status, body))


def test_success_passes() -> None:
    raise_for_status(answer(201))


def test_retry_after_in_seconds_or_as_a_date_is_kept() -> None:
    with pytest.raises(ProviderUnavailable) as seconds:
        raise_for_status(answer(429, **{"Retry-After": "7"}))
    assert seconds.value.retry_after == 7

    later = datetime.now(UTC) + timedelta(minutes=2)
    with pytest.raises(ProviderUnavailable) as date:
        raise_for_status(answer(503, **{"Retry-After": format_datetime(later, usegmt=True)}))
    assert date.value.retry_after is not None and 100 < date.value.retry_after <= 120


@pytest.mark.parametrize("value", ["", "soon", "-5"])
def test_an_unreadable_or_past_retry_after_leaves_the_wait_to_the_backoff(value: str) -> None:
    with pytest.raises(ProviderUnavailable) as error:
        raise_for_status(answer(429, **{"Retry-After": value}))
    assert error.value.retry_after in (None, 0.0)


def test_a_provider_asking_for_days_is_asked_again_within_the_hour() -> None:
    with pytest.raises(ProviderUnavailable) as error:
        raise_for_status(answer(429, **{"Retry-After": str(3 * 86_400)}))
    assert error.value.retry_after == 3600


def test_a_call_is_cut_to_the_time_its_attempt_has_left() -> None:
    http = ProviderHttp("https://payments.example", timeout=30)
    assert call_timeout(http) == 30
    with calls_until(time.monotonic() + 2):
        assert call_timeout(http) <= 2
    with calls_until(time.monotonic() - 1), pytest.raises(ProviderUnavailable):
        call_timeout(http)


async def test_a_provider_that_cannot_be_reached_is_asked_again_later() -> None:
    http = ProviderHttp("http://127.0.0.1:9", timeout=5)  # nothing listens on port 9
    try:
        with pytest.raises(ProviderUnavailable) as error:
            await http.post("/authorizations", json={"amount": 1})
    finally:
        await http.aclose()

    assert error.value.retry_after is None
    assert "could not be reached" in str(error.value)
