"""`make bench` in miniature: it starts its stack, drives a few orders through every
phase (returns too) and reports each figure. Only that it works is checked; the figures are not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# A whole stack of its own: `make test` runs these beside the session stack's tests.
pytestmark = pytest.mark.own_stack


@pytest.mark.e2e
def test_the_bench_drives_orders_through_every_phase_and_reports_them(tmp_path: Path) -> None:
    report = tmp_path / "bench.json"
    small = ["--orders", "6", "--clients", "2", "--warmup", "2", "--rate", "3", "--returns", "3"]
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.orders", *small, "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(report.read_text())
    assert set(figures) == {"args", "bare engine", "2 clients", "3.0 orders/s", "3 returns"}
    for phase in ("2 clients", "3.0 orders/s"):
        assert figures[phase]["orders"] == 6
        assert figures[phase]["not_delivered"] == 0
        assert figures[phase]["history_events"] > 0
        assert figures[phase]["sql_statements"] > 0
        assert {"api", "worker", "temporal", "postgres"} <= set(
            figures[phase]["cpu_seconds_per_order"]
        )
    assert figures["bare engine"]["orders"] == 6
    returns = figures["3 returns"]
    assert returns["orders"] == 3 and returns["history_events"] > 0
    assert {"api", "worker", "temporal", "postgres"} <= set(returns["cpu_seconds_per_order"])
    assert "orders/s completed" in run.stdout
    assert "throughput ratio to bare, saturated" in run.stdout  # the goals, beside the run
    assert figures["2 clients"]["shipments"] == 1.0


@pytest.mark.e2e
def test_an_order_over_three_locations_ships_three_parcels_in_the_bench(tmp_path: Path) -> None:
    report = tmp_path / "bench.json"
    small = ["--orders", "3", "--clients", "2", "--warmup", "1", "--rate", "3", "--returns", "0"]
    spread = ["--lines", "3", "--locations", "3"]
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.orders", *small, *spread, "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(report.read_text())
    for phase in ("2 clients", "3.0 orders/s"):
        assert figures[phase]["not_delivered"] == 0
        assert figures[phase]["shipments"] == 3.0
