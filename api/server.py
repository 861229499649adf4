"""Runs the API under uvicorn: `orders-api` (what the container image starts).

Binds `ORDERS_API_HOST:ORDERS_API_PORT`; behind a load balancer, forwarded headers are
trusted from `ORDERS_FORWARDED_ALLOW_IPS` only.
"""

from __future__ import annotations

import uvicorn

from infra.settings import settings_or_exit


def main() -> None:
    settings = settings_or_exit("orders-api")
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=settings.api_host,
        port=settings.api_port,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_level="warning",
        # Requests in flight finish before the process exits on SIGTERM.
        timeout_graceful_shutdown=int(settings.api_shutdown_grace.total_seconds()),
    )


if __name__ == "__main__":
    main()
