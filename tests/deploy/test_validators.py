"""Every deployment file passes the validator made for it, offline: hadolint on the
Dockerfile, the compose-spec and GitHub-workflow schemas (vendored in
check-jsonschema), kubernetes-validate on the Kubernetes manifests (our
custom resources against schemas kept in deploy/kubernetes/schemas), and promtool on
the alert rules where Debian's prometheus is installed."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.deploy.files import (
    ALERTS,
    COMPOSE,
    DOCKERFILE,
    KUBERNETES,
    ROOT,
    SCHEMAS,
    WORKFLOWS,
    base_resources,
    documents,
    kustomization,
    run,
    script,
    tool,
)

render_rules = script(KUBERNETES / "render_rules.py")

KUBERNETES_VERSION = "1.33"
CUSTOM_RESOURCES = {
    ("keda.sh/v1alpha1", "ScaledObject"): "scaledobject.keda.sh.v1alpha1.json",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "servicemonitor.monitoring.coreos.com.v1.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "prometheusrule.monitoring.coreos.com.v1.json",
}


def test_the_dockerfile_passes_hadolint() -> None:
    result = run(tool("hadolint"), "--failure-threshold", "info", str(DOCKERFILE))

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_as_a_user_without_dev_dependencies_and_checks_its_health() -> None:
    stages = re.split(r"^FROM ", DOCKERFILE.read_text(), flags=re.MULTILINE)[1:]
    final = stages[-1]

    assert len(stages) >= 2, "a build stage and a runtime stage"
    assert re.search(r"^USER 10001", final, flags=re.MULTILINE)
    assert "HEALTHCHECK" in final and "infra.healthcheck" in final
    assert "pip install" not in final  # the runtime stage only copies the virtualenv
    assert "[dev]" not in DOCKERFILE.read_text() and "[local]" not in DOCKERFILE.read_text()


def test_the_compose_file_follows_the_compose_spec() -> None:
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE))

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_each_github_workflow_follows_the_workflow_schema(workflow: Path) -> None:
    schema = run(
        tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(workflow)
    )

    assert schema.returncode == 0, schema.stdout + schema.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_each_workflow_runs_make_targets_and_tests_that_exist(workflow: Path) -> None:
    targets = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    steps = [
        step
        for job in yaml.safe_load(workflow.read_text())["jobs"].values()
        for step in job["steps"]
        if "run" in step
    ]

    for step in steps:
        for target in re.findall(r"\bmake (\w[\w-]*)", step["run"]):
            assert target in targets, target
        for path in re.findall(r"\b(tests/\S+)", step["run"]):
            assert (ROOT / path).exists(), path


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_pin_actions_by_commit_and_read_only(workflow: Path) -> None:
    loaded = yaml.safe_load(workflow.read_text())
    uses = re.findall(r"uses:\s*(\S+)", workflow.read_text())

    assert loaded["permissions"] == {"contents": "read"}
    assert uses, "no action used"
    for action in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), action


def test_there_is_a_workflow() -> None:
    assert [p.name for p in WORKFLOWS] == ["ci.yml"]


def _validate(doc: dict[str, Any]) -> None:
    custom = CUSTOM_RESOURCES.get((doc["apiVersion"], doc["kind"]))
    if custom is None:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    else:
        schema = json.loads((SCHEMAS / custom).read_text())
        jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)


def test_every_base_manifest_is_valid_for_kubernetes() -> None:
    checked = []
    for path, doc in base_resources():
        try:
            _validate(doc)
        except (kubernetes_validate.ValidationError, jsonschema.ValidationError) as error:
            pytest.fail(f"{path.name}: {doc['kind']} {doc['metadata']['name']}: {error}")
        checked.append(doc["kind"])

    for kind in ("Deployment", "Service", "Job", "PodDisruptionBudget", "ScaledObject"):
        assert kind in checked
    assert {"ServiceMonitor", "PrometheusRule", "HorizontalPodAutoscaler"} <= set(checked)


def test_a_manifest_with_a_typo_is_refused() -> None:
    """The validators are not lenient: a misspelt field fails."""
    deployment = next(doc for _, doc in base_resources() if doc["kind"] == "Deployment")
    spec = dict(deployment["spec"], replica=3)
    scaled = next(doc for _, doc in base_resources() if doc["kind"] == "ScaledObject")
    trigger = dict(scaled["spec"]["triggers"][0], metadata={"taskQueue": "orders"})

    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(dict(deployment, spec=spec))
    with pytest.raises(jsonschema.ValidationError):
        _validate(dict(scaled, spec=dict(scaled["spec"], triggers=[trigger])))


def test_every_overlay_builds_on_the_base_and_patches_what_exists() -> None:
    base = {(doc["kind"], doc["metadata"]["name"]) for _, doc in base_resources()}
    overlays = [p for p in (KUBERNETES / "overlays").iterdir() if p.is_dir()]

    assert overlays
    for overlay in overlays:
        spec = kustomization(overlay)
        assert "../../base" in spec["resources"]
        for name in spec["resources"]:
            if name != "../../base":
                for doc in documents(overlay / name):
                    _validate(doc)
        for patch in spec.get("patches", []):
            for doc in documents(overlay / patch["path"]):
                assert (doc["kind"], doc["metadata"]["name"]) in base, patch
        for image in spec.get("images", []):
            assert image["name"] == "order-service"


def test_the_base_lists_every_manifest_file_it_holds() -> None:
    base = KUBERNETES / "base"
    listed = set(kustomization(base)["resources"])

    assert listed == {p.name for p in base.glob("*.yaml")} - {"kustomization.yaml"}


def test_the_prometheus_rule_is_generated_from_the_alert_rules() -> None:
    written = (KUBERNETES / "base" / "prometheus-rule.yaml").read_text()

    assert written == render_rules.rendered(), "run: python deploy/kubernetes/render_rules.py"
    assert yaml.safe_load(written)["spec"]["groups"] == yaml.safe_load(ALERTS.read_text())["groups"]


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("ORDERS_REQUIRE_PROMTOOL") == "1":
            pytest.fail("promtool is required here: apt-get install prometheus")
        pytest.skip("promtool not installed (Debian package prometheus); CI installs it")
    return found


def test_promtool_accepts_the_alert_rules(tmp_path: Path) -> None:
    promtool = _promtool()
    rule = yaml.safe_load((KUBERNETES / "base" / "prometheus-rule.yaml").read_text())
    as_rules_file = tmp_path / "from-prometheus-rule.yml"
    as_rules_file.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))

    result = run(promtool, "check", "rules", str(ALERTS), str(as_rules_file))

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alerts_fire_as_their_promtool_unit_tests_expect() -> None:
    promtool = _promtool()

    result = run(promtool, "test", "rules", "tests/deploy/alerts_test.yml")

    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_compose_prometheus_config(tmp_path: Path) -> None:
    """The scrape configuration compose mounts, with its rule file where this checkout
    holds it (compose mounts deploy/prometheus at /etc/prometheus/orders)."""
    promtool = _promtool()
    config = yaml.safe_load((ROOT / "deploy" / "compose" / "prometheus.yml").read_text())
    assert config["rule_files"] == ["/etc/prometheus/orders/alerts.yml"]
    config["rule_files"] = [str(ALERTS)]
    checked = tmp_path / "prometheus.yml"
    checked.write_text(yaml.safe_dump(config))

    result = run(promtool, "check", "config", str(checked))

    assert result.returncode == 0, result.stdout + result.stderr
