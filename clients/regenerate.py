"""Regenerates the Python client in clients/python from the API's OpenAPI document.

Run `make client` after changing the API; `tests/api/test_python_client.py` fails
while the committed client differs from what this generates.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "openapi-python-client.yml"


def openapi_document() -> str:
    from api.app import create_app
    from infra.settings import Settings

    return json.dumps(create_app(Settings()).openapi(), indent=2, sort_keys=True) + "\n"


def generate(into: Path) -> None:
    """Writes the client package and its project files into `into` (replaced)."""
    tools = str(Path(sys.executable).parent)  # the generator formats with this ruff
    env = {**os.environ, "PATH": tools + os.pathsep + os.environ.get("PATH", "")}
    with tempfile.TemporaryDirectory() as scratch:
        document = Path(scratch) / "openapi.json"
        document.write_text(openapi_document())
        subprocess.run(
            [
                str(Path(tools) / "openapi-python-client"),
                "generate",
                "--path",
                str(document),
                "--output-path",
                str(into),
                "--config",
                str(CONFIG),
                "--meta",
                "setup",
                "--overwrite",
            ],
            check=True,
            env=env,
            capture_output=True,
            text=True,
        )
    shutil.rmtree(into / ".ruff_cache", ignore_errors=True)  # left by the generator's ruff


if __name__ == "__main__":
    generate(HERE / "python")
    print(f"wrote {HERE / 'python'}")
