"""Where the deployment files are, and how the tests read them."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yml"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
KUBERNETES = ROOT / "deploy" / "kubernetes"
SCHEMAS = KUBERNETES / "schemas"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "order-service.json"
RUNBOOKS = ROOT / "docs" / "operations.md"

METRIC = re.compile(r"\b((?:orders|temporal)_[a-z0-9_]+)")


def metric_names(expression: str) -> set[str]:
    return set(METRIC.findall(expression))


def dashboard_queries() -> list[str]:
    panels: list[dict[str, Any]] = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel["targets"]]


def tool(name: str) -> str:
    """A command-line tool installed with the dev dependencies (beside this Python)."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is not installed: run `make install`"
    return found


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def kustomization(folder: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((folder / "kustomization.yaml").read_text())
    return loaded


def base_resources() -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every resource the base kustomization lists, with the file it is in."""
    base = KUBERNETES / "base"
    for name in kustomization(base)["resources"]:
        for doc in documents(base / name):
            yield base / name, doc


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def script(path: Path) -> ModuleType:
    """A helper script of deploy/ (not a package), loaded as a module."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
