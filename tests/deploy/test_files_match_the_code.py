"""The deployment files say what the code does: every variable they set is read
somewhere, every port and probe is one the processes serve, every queue autoscaled is
one the workers poll, and the settings they give start a production process."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi import FastAPI

from api.app import create_app
from infra.settings import Settings
from infra.worker_ops_app import create_worker_app
from tests.deploy.files import ROOT, base_resources, compose, documents, script

# Variables read by code other than the settings, and where.
READ_ELSEWHERE = {
    "ORDERS_HEALTHCHECK_URL": "infra/healthcheck.py",
    "OTEL_EXPORTER_OTLP_ENDPOINT": "infra/tracing.py",
    "CARRIER_WEBHOOK_URL": "simulators/carrier.py",
    "CARRIER_WEBHOOK_SECRET": "simulators/carrier.py",
    "SIMULATOR_STATE_DIR": "simulators/store.py",
}
OUR_SERVICES = {"migrate", "api", "worker", "relay", "payment", "carrier", "email"}


def settings_variables() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        names.update(str(c) for c in choices) if choices else names.add(f"ORDERS_{name.upper()}")
    return names


def compose_environment() -> dict[str, dict[str, str]]:
    services: dict[str, Any] = compose()["services"]
    return {
        name: {k: str(v) for k, v in (service.get("environment") or {}).items()}
        for name, service in services.items()
        if name in OUR_SERVICES
    }


def worker_choices(environment: dict[str, str]) -> dict[str, Any]:
    """The worker settings a compose service's environment chooses."""
    chosen: dict[str, Any] = {}
    if "ORDERS_OUTBOX_RELAY" in environment:
        chosen["outbox_relay"] = environment["ORDERS_OUTBOX_RELAY"]
    if "ORDERS_WORKER_QUEUES" in environment:
        chosen["worker_queues"] = json.loads(environment["ORDERS_WORKER_QUEUES"])
    return chosen


def manifest_environment() -> dict[str, str]:
    found: dict[str, str] = {}
    for _, doc in base_resources():
        if doc["kind"] == "ConfigMap":
            found.update(doc["data"])
        for container in _containers(doc):
            found.update({e["name"]: e["value"] for e in container.get("env", [])})
    return found


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    if doc["kind"] not in ("Deployment", "Job"):
        return []
    containers: list[dict[str, Any]] = doc["spec"]["template"]["spec"]["containers"]
    return containers


def env_example() -> dict[str, str]:
    pairs = [line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines()]
    return {p[0]: p[1] for p in pairs if len(p) == 2 and not p[0].startswith("#")}


def paths(app: FastAPI) -> set[str]:
    """Every path the app serves (its OpenAPI document lists them all, health included)."""
    return set(app.openapi()["paths"])


def test_every_variable_the_files_set_is_read_by_the_code() -> None:
    known = settings_variables()
    set_by_files = set(manifest_environment()) | set(env_example())
    for environment in compose_environment().values():
        set_by_files |= set(environment)
    compose_only = {"POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD", "RABBITMQ_PASSWORD"}

    unknown = set_by_files - known - set(READ_ELSEWHERE) - compose_only

    assert not unknown, f"set but read by nothing: {sorted(unknown)}"
    for name, module in READ_ELSEWHERE.items():
        assert name in (ROOT / module).read_text(), (name, module)


def test_the_settings_the_files_give_start_a_production_process() -> None:
    secrets = script(ROOT / "deploy" / "compose" / "new_env.py")
    filled = secrets.filled((ROOT / ".env.example").read_text(), secrets.fresh_values())
    dotenv = dict(
        line.split("=", 1) for line in filled.splitlines() if "=" in line and line[0] != "#"
    )
    secret_ref = {  # what the Kubernetes secret `orders-secrets` must hold
        "DATABASE_URL": "postgresql+asyncpg://orders@db:5432/orders",
        **{
            k: v
            for k, v in dotenv.items()
            if k.startswith("ORDERS_") and k in secrets.fresh_values()
        },
    }

    for environment in (
        {**dotenv, **compose_environment()["api"]},
        {**dotenv, **compose_environment()["worker"]},
        {**manifest_environment(), **secret_ref},
    ):
        settings = Settings(**_as_fields(environment))
        assert settings.environment == "production"


def _as_fields(environment: dict[str, str]) -> dict[str, Any]:
    """Environment variables as Settings keyword arguments (what pydantic-settings does)."""
    fields: dict[str, Any] = {}
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        choices = [str(c) for c in getattr(alias, "choices", [])] or [f"ORDERS_{name.upper()}"]
        for choice in choices:
            if choice in environment:
                value = environment[choice]
                if value.startswith(("{", "[")):
                    value = json.loads(value)
                fields[name] = value
    return fields


def test_ports_agree_with_the_settings() -> None:
    settings = Settings()
    services = compose()["services"]
    api_port, worker_port = settings.api_port, settings.worker_http_port
    metrics_port = settings.api_metrics_port

    # Only the API port is published: the metrics port stays on the compose network.
    assert services["api"]["ports"] == [f"{api_port}:{api_port}"]
    assert compose_environment()["api"]["ORDERS_API_PORT"] == str(api_port)
    assert compose_environment()["api"]["ORDERS_API_METRICS_PORT"] == str(metrics_port)
    assert manifest_environment()["ORDERS_API_METRICS_PORT"] == str(metrics_port)
    assert compose_environment()["worker"]["ORDERS_WORKER_HTTP_PORT"] == str(worker_port)
    for name, port in (("payment", 8101), ("carrier", 8102), ("email", 8103)):
        assert str(port) in services[name]["command"]
        assert f"http://{name}:{port}" == compose_environment()["api"][f"ORDERS_{name.upper()}_URL"]
    for _, doc in base_resources():
        for container in _containers(doc):
            expected = {
                "orders-api": {"http": api_port, "metrics": metrics_port},
                "orders-worker": {"metrics": worker_port},
            }.get(container["command"][0], {})
            served = {port["name"]: port["containerPort"] for port in container.get("ports", [])}
            assert served == expected, doc["metadata"]["name"]


def test_every_probe_and_healthcheck_asks_an_endpoint_the_process_serves() -> None:
    # Text logs: with JSON (the default) the app would set the process's root logger up,
    # on this test's captured stderr, for every later test and the interpreter's exit.
    settings = Settings(log_format="text")
    api = paths(create_app(settings))
    worker = paths(create_worker_app(settings, None, None))  # type: ignore[arg-type]
    probes = 0

    for _, doc in base_resources():
        for container in _containers(doc):
            served = api if container["command"] == ["orders-api"] else worker
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                if probe in container:
                    assert container[probe]["httpGet"]["path"] in served
                    probes += 1
    for name, environment in compose_environment().items():
        url = environment.get("ORDERS_HEALTHCHECK_URL")
        if url and name in ("api", "worker", "relay"):
            assert re.sub(r"^http://[^/]+", "", url) in (api if name == "api" else worker)
    assert probes == 9  # three probes on each of the three Deployments


def test_workers_finish_their_activities_within_the_pods_grace_period() -> None:
    config = manifest_environment()
    worker_grace = Settings(worker_shutdown_grace=config["ORDERS_WORKER_SHUTDOWN_GRACE"])
    api_grace = Settings(api_shutdown_grace=config["ORDERS_API_SHUTDOWN_GRACE"])

    for _, doc in base_resources():
        if doc["kind"] == "Deployment":
            period = doc["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
            needed = (
                api_grace.api_shutdown_grace
                if "api" in doc["metadata"]["name"]
                else worker_grace.worker_shutdown_grace
            )
            assert period > needed.total_seconds(), doc["metadata"]["name"]
    grace = compose()["services"]["worker"]["stop_grace_period"]
    assert int(grace.rstrip("s")) > Settings().worker_shutdown_grace.total_seconds()


def test_autoscaled_queues_are_the_queues_the_workers_poll() -> None:
    config = manifest_environment()
    settings = Settings(
        **{
            f"{provider}_task_queue": config.get(f"ORDERS_{provider.upper()}_TASK_QUEUE")
            for provider in ("payment", "carrier", "email")
        }
    )
    polled_by = {}
    for _, doc in base_resources():
        for container in _containers(doc):
            queues = next(
                (
                    e["value"]
                    for e in container.get("env", [])
                    if e["name"] == "ORDERS_WORKER_QUEUES"
                ),
                None,
            )
            if queues:
                chosen = Settings(worker_queues=json.loads(queues)).worker_queues
                polled_by[doc["metadata"]["name"]] = chosen
    task_queue = {"orders": settings.task_queue, **settings.provider_task_queues}

    # Kubernetes gives each provider a queue of its own (isolation, a cap on the server).
    assert len(set(task_queue.values())) == len(task_queue)
    assert sorted(q for queues in polled_by.values() for q in queues) == sorted(task_queue)
    for _, doc in base_resources():
        if doc["kind"] == "ScaledObject":
            target = doc["spec"]["scaleTargetRef"]["name"]
            scaled = {
                t["metadata"]["taskQueue"]
                for t in doc["spec"]["triggers"]
                if t["type"] == "temporal"
            }
            assert scaled == {task_queue[q] for q in polled_by[target]}, target


def test_one_compose_service_relays_the_outbox_and_it_polls_no_queue() -> None:
    relaying = {
        name: Settings(**worker_choices(environment))
        for name, environment in compose_environment().items()
        if compose()["services"][name]["command"] == ["orders-worker"]
    }

    assert {name for name, s in relaying.items() if s.outbox_relay} == {"relay"}
    assert relaying["relay"].worker_queues == []
    assert relaying["worker"].worker_queues == Settings().worker_queues


def test_every_process_the_readme_names_is_a_compose_service() -> None:
    services = set(compose()["services"])

    for needed in (
        "api",
        "worker",
        "relay",
        "payment",
        "carrier",
        "email",
        "postgres",
        "redis",
        "temporal",
        "temporal-ui",
        "prometheus",
        "grafana",
        "otel-collector",
    ):
        assert needed in services, needed
    for name, service in compose()["services"].items():
        for dependency, condition in (service.get("depends_on") or {}).items():
            assert dependency in services, (name, dependency)
            gates = ["service_healthy", "service_completed_successfully"]
            if name == "otel-collector":
                gates.append("service_started")  # the tracing pipeline retries by itself
            assert condition["condition"] in gates, (name, dependency)


@pytest.mark.parametrize("name", ["api.yaml", "worker-orders.yaml", "worker-providers.yaml"])
def test_secrets_come_by_reference_only(name: str) -> None:
    for doc in documents(ROOT / "deploy" / "kubernetes" / "base" / name):
        for container in _containers(doc):
            sources = [next(iter(source)) for source in container["envFrom"]]
            assert sources == ["configMapRef", "secretRef"]
            for variable in container.get("env", []):
                assert "KEY" not in variable["name"] and "SECRET" not in variable["name"]
