from __future__ import annotations

from domain.notices import CustomerNotice
from providers.http import ProviderHttp, raise_for_status
from providers.metrics import provider_call


class EmailClient:
    def __init__(self, http: ProviderHttp) -> None:
        self._http = http

    async def send(self, *, to: str, subject: str, body: str, idempotency_key: str) -> None:
        async with provider_call("email", "send"):
            response = await self._http.post(
                "/messages",
                json={"to": to, "subject": subject, "body": body},
                headers={"Idempotency-Key": idempotency_key},
            )
            raise_for_status(response)

    async def send_notice(self, notice: CustomerNotice, milestone: str) -> None:
        """The customer's email at one milestone of their order, sent once."""
        await self.send(
            to=notice.email,
            subject=notice.subject(milestone),
            body=notice.body(milestone),
            idempotency_key=notice.idempotency_key(milestone),
        )
