"""Writes base/prometheus-rule.yaml: the alert rules of deploy/prometheus/alerts.yml as a
Prometheus Operator PrometheusRule, so the rules have one source. Run after changing
the alerts: `python deploy/kubernetes/render_rules.py` (a test checks it is current)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ALERTS = HERE.parent / "prometheus" / "alerts.yml"
RULE = HERE / "base" / "prometheus-rule.yaml"
HEADER = "# Generated from deploy/prometheus/alerts.yml by render_rules.py: edit those, not this.\n"


def prometheus_rule() -> dict[str, Any]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "orders-alerts"},
        "spec": {"groups": groups},
    }


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings (the PromQL expressions) as `|` blocks, as in alerts.yml."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _string)


def rendered() -> str:
    body = yaml.dump(prometheus_rule(), Dumper=_BlockDumper, sort_keys=False, width=100)
    return HEADER + body


if __name__ == "__main__":
    RULE.write_text(rendered())
