"""The alert rules and the dashboard are well formed and point at real runbooks."""

from __future__ import annotations

import re

import yaml

from tests.deploy.files import ALERTS, ROOT, RUNBOOKS, dashboard_queries, metric_names


def anchors(markdown: str) -> set[str]:
    headings = re.findall(r"^#+ (.+)$", markdown, flags=re.MULTILINE)
    return {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in headings}


def test_every_alert_rule_is_complete_and_links_a_runbook_section() -> None:
    rules = [
        rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]
    ]
    sections = anchors(RUNBOOKS.read_text())

    assert len(rules) >= 13
    for rule in rules:
        assert {"alert", "expr", "labels", "annotations"} <= set(rule), rule
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"]
        base, _, link = rule["annotations"]["runbook_url"].partition("}}/")
        page, _, section = link.partition("#")
        assert base == "{{ $externalLabels.runbook_base ", rule["alert"]
        assert (ROOT / "docs" / page).exists() and section in sections, rule["alert"]


def test_the_dashboard_covers_the_operators_questions() -> None:
    names = set().union(*(metric_names(q) for q in dashboard_queries()))

    for needed in (
        "orders_completed_total",
        "orders_milestone_seconds_bucket",
        "orders_compensations_total",
        "orders_http_requests_total",
        "orders_http_request_errors_total",
        "orders_http_request_duration_seconds_bucket",
        "orders_rate_limited_requests_total",
        "orders_shed_requests_total",
        "orders_task_queue_backlog",
        "temporal_activity_schedule_to_start_latency_seconds_bucket",
        "temporal_worker_task_slots_used",
    ):
        assert needed in names, needed
