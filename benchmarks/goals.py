"""The per-order goals of the service, each beside its figure from this run.

CPU and statements are read in the unsaturated phase (a fixed arrival rate), the
ratios to the bare engine in the saturated one (fixed concurrency), as the goals
are stated. CPU in milliseconds depends on the machine; the bare engine's own CPU per
workflow, measured in the same run, is the yardstick that does not: the goal of 75 ms
was set where the bare engine cost ~45 ms, so about 1.7 times it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from benchmarks.measure import Phase, percentile

BARE_PROCESSES = ("temporal", "bare_worker")


@dataclass(frozen=True)
class Goal:
    label: str
    goal: float
    at_most: bool  # the figure must stay at or below the goal (else at or above)
    shape: str = "{:.1f}"


GOALS = (
    Goal("CPU, all processes (ms)", 75, True),
    Goal("CPU, worker (ms)", 25, True),
    Goal("CPU, Temporal server (ms)", 35, True),
    Goal("CPU, API (ms)", 8, True),
    Goal("CPU, all ÷ the bare engine's per workflow", 1.7, True, "{:.2f}"),
    Goal("SQL statements", 20, True),
    Goal("history events", 25, True),
    Goal("workflow tasks", 3, True),
    Goal("throughput ratio to bare, saturated", 0.5, False, "{:.2f}"),
    Goal("accept p99 ratio to bare, saturated", 2.0, True, "{:.2f}"),
)


def figures(unsaturated: Phase, saturated: Phase, bare: Phase) -> list[float]:
    ms = {name: seconds * 1000 for name, seconds in unsaturated.cpu.items()}
    ours = sum(v for name, v in ms.items() if name not in ("bare_worker",))
    bare_ms = sum(bare.cpu.get(name, 0.0) * 1000 for name in BARE_PROCESSES)
    accept_bare = percentile(bare.accept, 0.99)
    return [
        ours,
        ms.get("worker", math.nan),
        ms.get("temporal", math.nan),
        ms.get("api", math.nan),
        ours / bare_ms if bare_ms else math.nan,
        unsaturated.statements,
        unsaturated.history_events,
        unsaturated.workflow_tasks,
        saturated.per_second / bare.per_second if bare.per_second else math.nan,
        percentile(saturated.accept, 0.99) / accept_bare if accept_bare else math.nan,
    ]


def goals_table(unsaturated: Phase, saturated: Phase, bare: Phase) -> str:
    width = 44
    lines = [f"{'per delivered order':<{width}}{'this run':>12}{'goal':>10}{'':>6}"]
    for goal, value in zip(GOALS, figures(unsaturated, saturated, bare), strict=True):
        met = value <= goal.goal if goal.at_most else value >= goal.goal
        sign = "≤" if goal.at_most else "≥"
        cell = "-" if math.isnan(value) else goal.shape.format(value)
        mark = "" if math.isnan(value) else ("met" if met else "not")
        target = f"{sign} {goal.shape.format(goal.goal)}"
        lines.append(f"{goal.label:<{width}}{cell:>12}{target:>10}{mark:>6}")
    return "\n".join(lines)
