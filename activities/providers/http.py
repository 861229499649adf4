from __future__ import annotations

import httpx

from domain.errors import ProviderRejected


def raise_for_status(response: httpx.Response) -> None:
    """5xx stays a retryable HTTP error; any other 4xx is a refusal no retry can mend."""
    if 400 <= response.status_code < 500:
        raise ProviderRejected(
            f"{response.request.method} {response.request.url.path} "
            f"answered {response.status_code}: {response.text[:200]}"
        )
    response.raise_for_status()
