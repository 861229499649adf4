from __future__ import annotations

from typing import Any

from domain.errors import PaymentDeclined
from providers.http import ProviderHttp, find_by_reference, raise_for_status
from providers.metrics import provider_call


class PaymentClient:
    def __init__(self, http: ProviderHttp) -> None:
        self._http = http

    async def authorize(
        self, *, order_id: str, amount: int, currency: str, token: str, idempotency_key: str
    ) -> str:
        async with provider_call("payment", "authorize"):
            response = await self._http.post(
                "/authorizations",
                json={
                    "amount": amount,
                    "currency": currency,
                    "token": token,
                    "reference": order_id,
                },
                headers={"Idempotency-Key": idempotency_key},
            )
            if response.status_code == 402:
                raise PaymentDeclined(response.json().get("error", "declined"))
            raise_for_status(response)
        return str(response.json()["id"])

    async def capture(
        self,
        authorization_id: str,
        idempotency_key: str,
        amount: int | None = None,
        final: bool = True,
    ) -> None:
        """Captures what is left of the authorization, or `amount` of it (one parcel's
        part; `final` releases the rest)."""
        body = None if amount is None else {"amount": amount, "final": final}
        await self._post(
            "capture", f"/authorizations/{authorization_id}/capture", idempotency_key, body
        )

    async def increase(self, authorization_id: str, amount: int, idempotency_key: str) -> None:
        """Raises an open authorization by `amount` (an edit's difference); a card that
        will not carry more is a decline."""
        async with provider_call("payment", "increase"):
            response = await self._http.post(
                f"/authorizations/{authorization_id}/increment",
                json={"amount": amount},
                headers={"Idempotency-Key": idempotency_key},
            )
            if response.status_code == 402:
                raise PaymentDeclined(response.json().get("error", "declined"))
            raise_for_status(response)

    async def void(self, authorization_id: str, idempotency_key: str) -> None:
        await self._post("void", f"/authorizations/{authorization_id}/void", idempotency_key)

    async def refund(
        self, authorization_id: str, idempotency_key: str, amount: int | None = None
    ) -> str | None:
        """Refunds everything captured, or `amount` of it; the provider's id of the
        refund when it names one."""
        body = None if amount is None else {"amount": amount}
        answer = await self._post(
            "refund", f"/authorizations/{authorization_id}/refund", idempotency_key, body
        )
        refund_id = answer.get("last_refund_id")
        return str(refund_id) if refund_id else None

    async def authorizations_for(self, order_id: str) -> list[dict[str, Any]]:
        """Every authorization made for the order, found by our reference: even one whose
        reply was lost on the way back to us."""
        return await find_by_reference(self._http, "payment", "/authorizations", order_id)

    async def _post(
        self, operation: str, path: str, idempotency_key: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        async with provider_call("payment", operation):
            response = await self._http.post(
                path,
                headers={"Idempotency-Key": idempotency_key},
                json=body,
            )
            raise_for_status(response)
        answer = response.json() if response.content else {}
        return answer if isinstance(answer, dict) else {}
