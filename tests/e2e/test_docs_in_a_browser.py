"""/docs and /redoc render in a real headless Chromium with every host but the API
unreachable: their scripts come from the API itself, not from a CDN."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest


def _chromium() -> str:
    names = ("chromium", "chromium-browser", "google-chrome")  # Debian, Ubuntu, GitHub
    found = next((path for path in map(shutil.which, names) if path), None)
    if found is None:
        if os.environ.get("ORDERS_REQUIRE_CHROMIUM") == "1":
            pytest.fail("chromium is required here: apt-get install chromium")
        pytest.skip("chromium not installed (Debian package chromium); CI installs it")
    return found


def rendered(page: str, profile: Path) -> str:
    """The page's DOM after its scripts ran, with every host except 127.0.0.1 unknown."""
    result = subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=20000",
            "--dump-dom",
            page,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_swagger_ui_renders_every_operation_offline(api_url: str, tmp_path: Path) -> None:
    operations = sum(
        len(methods) for methods in httpx.get(f"{api_url}/openapi.json").json()["paths"].values()
    )

    dom = rendered(f"{api_url}/docs", tmp_path)

    blocks = re.findall(r'<div class="opblock opblock-(?:get|post|put|patch|delete)', dom)
    assert "swagger-ui" in dom
    assert len(blocks) == operations, (len(blocks), operations)
    assert "cdn.jsdelivr.net" not in httpx.get(f"{api_url}/docs").text


def test_redoc_renders_the_operations_offline(api_url: str, tmp_path: Path) -> None:
    dom = rendered(f"{api_url}/redoc", tmp_path)

    assert "Place an order" in dom  # an operation summary, drawn by ReDoc's script
    assert "cdn.jsdelivr.net" not in httpx.get(f"{api_url}/redoc").text
