from __future__ import annotations

import httpx

from activities.order_metrics import provider_call
from activities.providers.http import call_timeout, raise_for_status


class EmailClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def send(self, *, to: str, subject: str, body: str, idempotency_key: str) -> None:
        async with provider_call("email", "send"):
            response = await self._http.post(
                "/messages",
                timeout=call_timeout(self._http),
                json={"to": to, "subject": subject, "body": body},
                headers={"Idempotency-Key": idempotency_key},
            )
            raise_for_status(response)
