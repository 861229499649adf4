"""The container image's HEALTHCHECK: exits 0 when the process answers its liveness
URL with 200, 1 otherwise. One image runs every process, so the URL is a setting:
`ORDERS_HEALTHCHECK_URL` (the API's /livez by default; the worker's is on :9464)."""

from __future__ import annotations

import os
import sys
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8000/livez"


def main() -> None:
    url = os.environ.get("ORDERS_HEALTHCHECK_URL", DEFAULT_URL)
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            sys.exit(0 if response.status == 200 else 1)
    except OSError as error:
        print(f"{url}: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
