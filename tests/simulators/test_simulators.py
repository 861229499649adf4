"""The simulators behave like the providers they stand in for, over real HTTP."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.polling import eventually


def reference() -> str:
    return f"ord_{uuid.uuid4().hex[:12]}"


async def authorize(
    payment: httpx.AsyncClient, ref: str, token: str = "tok_ok", key: str | None = None
) -> httpx.Response:
    return await payment.post(
        "/authorizations",
        json={"amount": 1000, "currency": "USD", "token": token, "reference": ref},
        headers={"Idempotency-Key": key or uuid.uuid4().hex},
    )


async def test_the_same_idempotency_key_authorizes_once(
    simulators: dict[str, httpx.AsyncClient],
) -> None:
    payment, ref = simulators["payment"], reference()

    first = await authorize(payment, ref, key="k1-" + ref)
    again = await authorize(payment, ref, key="k1-" + ref)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len((await payment.get("/authorizations", params={"reference": ref})).json()) == 1


async def test_tokens_decide_the_answer(simulators: dict[str, httpx.AsyncClient]) -> None:
    payment = simulators["payment"]
    key = uuid.uuid4().hex

    declined = await authorize(payment, reference(), token="tok_declined")
    flaky = [(await authorize(payment, reference(), "tok_flaky", key)).status_code for _ in "123"]

    assert declined.status_code == 402 and declined.json()["error"] == "card_declined"
    assert flaky == [503, 503, 201]


async def test_a_captured_authorization_is_refunded_not_voided(
    simulators: dict[str, httpx.AsyncClient],
) -> None:
    payment = simulators["payment"]
    auth = (await authorize(payment, reference())).json()["id"]

    await payment.post(f"/authorizations/{auth}/capture")
    void = await payment.post(f"/authorizations/{auth}/void")
    refund = await payment.post(f"/authorizations/{auth}/refund")

    assert void.status_code == 409
    assert refund.status_code == 200 and refund.json()["status"] == "refunded"


async def test_injected_faults_answer_503_and_admin_stays_reachable(
    simulators: dict[str, httpx.AsyncClient],
) -> None:
    email = simulators["email"]
    await email.put("/admin/faults", json={"down": True})

    refused = await email.post("/messages", json={"to": "a@b.c", "subject": "s", "body": "b"})
    ledger = await email.get("/admin/ledger")

    assert refused.status_code == 503
    assert ledger.status_code == 200


async def test_email_sends_each_key_once(simulators: dict[str, httpx.AsyncClient]) -> None:
    email, key = simulators["email"], uuid.uuid4().hex
    message = {"to": "a@b.c", "subject": "hello", "body": "b"}

    await email.post("/messages", json=message, headers={"Idempotency-Key": key})
    await email.post("/messages", json=message, headers={"Idempotency-Key": key})

    sent = (await email.get("/admin/ledger")).json()["messages"]
    assert [m["key"] for m in sent].count(key) == 1


async def test_the_carrier_refuses_antarctica(simulators: dict[str, httpx.AsyncClient]) -> None:
    destination = {"name": "P", "line1": "Ice", "city": "McMurdo", "postal_code": "0"}

    refused = await simulators["carrier"].post(
        "/shipments",
        json={
            "reference": reference(),
            "destination": {**destination, "country": "AQ"},
            "items": [],
        },
    )

    assert refused.status_code == 422
    assert refused.json()["error"] == "destination_unsupported"


async def test_faults_can_throttle_with_a_retry_after_then_serve_again(
    simulators: dict[str, httpx.AsyncClient],
) -> None:
    payment, ref = simulators["payment"], reference()
    throttled = {"fail_next": 2, "error_status": 429, "retry_after_s": 3}
    (await payment.put("/admin/faults", json=throttled)).raise_for_status()

    answers = [await authorize(payment, ref) for _ in range(3)]

    assert [a.status_code for a in answers] == [429, 429, 201]
    assert answers[0].headers["Retry-After"] == "3"
    assert answers[0].json() == {"error": "rate_limited"}


async def test_down_answers_the_chosen_status(simulators: dict[str, httpx.AsyncClient]) -> None:
    carrier = simulators["carrier"]
    (
        await carrier.put("/admin/faults", json={"down": True, "error_status": 408})
    ).raise_for_status()

    answer = await carrier.get("/shipments", params={"reference": reference()})

    assert answer.status_code == 408
    assert "Retry-After" not in answer.headers


async def test_a_retry_that_overlaps_its_first_call_is_told_it_is_in_progress(
    simulators: dict[str, httpx.AsyncClient],
) -> None:
    payment, ref = simulators["payment"], reference()
    # Long enough for the second call to overlap, within the client's 5 s timeout.
    (await payment.put("/admin/faults", json={"latency_ms": 3000})).raise_for_status()
    key = "overlap-" + ref

    first = asyncio.create_task(authorize(payment, ref, key=key))

    async def in_flight() -> bool:
        """The first call has arrived, and is still being served."""
        return key in (await payment.get("/admin/ledger")).json()["in_flight"]

    await eventually(in_flight, timeout=30)
    second = await authorize(payment, ref, key=key)

    assert second.status_code == 409
    assert second.json() == {"error": "request_in_progress"}
    assert (await first).status_code == 201


async def test_an_authorization_is_captured_in_parts_raised_and_refunded_in_part(
    simulators: dict[str, httpx.AsyncClient],
) -> None:
    payment = simulators["payment"]
    reference = f"ord_{uuid.uuid4().hex[:12]}"
    auth = (
        await payment.post(
            "/authorizations",
            json={"amount": 10_000, "currency": "USD", "token": "tok_ok", "reference": reference},
        )
    ).json()
    raised = await payment.post(f"/authorizations/{auth['id']}/increment", json={"amount": 500})
    first = await payment.post(f"/authorizations/{auth['id']}/capture", json={"amount": 4_000})
    too_much = await payment.post(f"/authorizations/{auth['id']}/capture", json={"amount": 9_000})
    last = await payment.post(
        f"/authorizations/{auth['id']}/capture", json={"amount": 3_000, "final": True}
    )
    after_final = await payment.post(f"/authorizations/{auth['id']}/capture", json={"amount": 1})
    refunded = await payment.post(f"/authorizations/{auth['id']}/refund", json={"amount": 1_000})

    assert raised.json()["amount"] == 10_500
    assert (first.json()["status"], first.json()["captured"]) == ("partially_captured", 4_000)
    assert too_much.status_code == 422 and too_much.json()["left"] == 6_500
    # The final part closes it: the 3 500 left are released, never captured.
    assert (last.json()["status"], last.json()["captured"]) == ("captured", 7_000)
    assert after_final.status_code == 409
    assert (refunded.json()["status"], refunded.json()["refunded"]) == ("partially_refunded", 1_000)


async def test_a_card_that_refuses_more_declines_the_increase_and_keeps_the_rest(
    simulators: dict[str, httpx.AsyncClient],
) -> None:
    payment = simulators["payment"]
    auth = (
        await payment.post(
            "/authorizations",
            json={
                "amount": 2_000,
                "currency": "USD",
                "token": "tok_no_increase",
                "reference": f"ord_{uuid.uuid4().hex[:12]}",
            },
        )
    ).json()
    declined = await payment.post(f"/authorizations/{auth['id']}/increment", json={"amount": 1})
    captured = await payment.post(f"/authorizations/{auth['id']}/capture")

    assert declined.status_code == 402 and declined.json()["error"] == "card_declined"
    assert (captured.json()["status"], captured.json()["captured"]) == ("captured", 2_000)


async def test_the_carrier_keeps_where_a_parcel_was_picked_up(
    simulators: dict[str, httpx.AsyncClient],
) -> None:
    booked = await simulators["carrier"].post(
        "/shipments",
        json={
            "reference": f"ord_{uuid.uuid4().hex[:12]}",
            "destination": {
                "name": "Ada",
                "line1": "1 Main St",
                "city": "London",
                "postal_code": "N1",
                "country": "GB",
            },
            "items": [{"sku": "MUG", "quantity": 1}],
            "origin": {"location_id": "eu-west", "country": "NL"},
        },
    )

    assert booked.status_code == 201
    assert booked.json()["origin"] == {"location_id": "eu-west", "country": "NL"}
