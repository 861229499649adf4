"""Prometheus scrapes each process where it serves /metrics: the API on its metrics
port (never the public one), every worker on its HTTP port, in compose and on
Kubernetes alike."""

from __future__ import annotations

from typing import Any

import yaml

from api.app import create_app
from api.metrics_server import create_metrics_app
from infra.settings import Settings
from infra.worker_ops_app import create_worker_app
from tests.deploy.files import ROOT, base_resources

SETTINGS = Settings(log_format="text")  # JSON would set up the test process's logging
EXPECTED = {"api": SETTINGS.api_metrics_port, "worker": SETTINGS.worker_http_port}


def compose_scrape_jobs() -> dict[str, Any]:
    config = yaml.safe_load((ROOT / "deploy" / "compose" / "prometheus.yml").read_text())
    return {job["job_name"]: job for job in config["scrape_configs"]}


def resources(kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in base_resources() if doc["kind"] == kind]


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def container_ports_behind(service: dict[str, Any], port_name: str) -> set[int]:
    """The container ports a Service's named port reaches, in the Deployments it selects."""
    port = next(p for p in service["spec"]["ports"] if p["name"] == port_name)
    reached = set()
    for deployment in resources("Deployment"):
        template = deployment["spec"]["template"]
        if not matches(service["spec"]["selector"], template["metadata"]["labels"]):
            continue
        for container in template["spec"]["containers"]:
            for served in container.get("ports", []):
                if port["targetPort"] in (served["name"], served["containerPort"]):
                    reached.add(served["containerPort"])
    return reached


def test_compose_prometheus_scrapes_the_metrics_ports() -> None:
    jobs = compose_scrape_jobs()

    assert jobs["order-api"]["static_configs"] == [{"targets": [f"api:{EXPECTED['api']}"]}]
    assert jobs["order-worker"]["dns_sd_configs"][0]["port"] == EXPECTED["worker"]
    assert jobs["order-worker"]["dns_sd_configs"][0]["names"] == ["worker", "relay"]


def test_each_service_monitor_reaches_the_metrics_port_of_its_pods() -> None:
    services = resources("Service")
    reached: dict[str, set[int]] = {}
    for monitor in resources("ServiceMonitor"):
        selected = [
            s
            for s in services
            if matches(monitor["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])
        ]
        assert selected, monitor["metadata"]["name"]
        for endpoint in monitor["spec"]["endpoints"]:
            assert endpoint["path"] == "/metrics"
            for service in selected:
                reached.setdefault(monitor["metadata"]["name"], set()).update(
                    container_ports_behind(service, endpoint["port"])
                )

    assert reached == {"orders-api": {EXPECTED["api"]}, "orders-worker": {EXPECTED["worker"]}}


def test_the_public_api_service_routes_the_api_port_only() -> None:
    public = next(s for s in resources("Service") if s["metadata"]["name"] == "orders-api")

    assert [p["name"] for p in public["spec"]["ports"]] == ["http"]
    assert container_ports_behind(public, "http") == {SETTINGS.api_port}


def test_metrics_are_served_where_they_are_scraped_and_nowhere_public() -> None:
    public = set(create_app(SETTINGS).openapi()["paths"])
    metrics = {route.path for route in create_metrics_app().routes}  # type: ignore[attr-defined]
    worker = set(create_worker_app(SETTINGS, None, None).openapi()["paths"])  # type: ignore[arg-type]

    assert "/metrics" not in public and {"/livez", "/readyz"} <= public
    assert "/metrics" in metrics and not {"/livez", "/readyz"} & metrics
    assert "/metrics" in worker
