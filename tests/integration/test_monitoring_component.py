"""The monitoring kustomize component, as both overlays include it: metrics ports agree with the settings,
PodMonitors find them."""
from __future__ import annotations

import pytest

from ventanilla.config import METRICS_PROCESSES, MetricsSettings

PROCESS_OF = {process: process for process in METRICS_PROCESSES}  # workload name = process name


@pytest.fixture(scope="module", params=["dev", "prod"])
def documents(request) -> list[dict]:
    """Both overlays include the component."""
    from tests.deploy.render import documents as rendered  # the pinned kustomize of `make k8s-tools`

    return rendered(request.param)


def test_each_process_serves_metrics_on_the_port_its_settings_name(documents):
    workloads = {d["metadata"]["name"]: d for d in documents if d["kind"] in ("Deployment", "StatefulSet")}
    assert set(PROCESS_OF) <= set(workloads)
    for name, process in PROCESS_OF.items():
        container = workloads[name]["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
        settings = MetricsSettings.from_env(process, env)
        port = {p["name"]: p["containerPort"] for p in container["ports"]}["metrics"]
        assert settings.address == f"0.0.0.0:{port}"
        assert settings.tls_cert and settings.tls_key and settings.client_ca  # only Prometheus's certificate gets in
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert {str(settings.tls_cert.parent), str(settings.client_ca.parent)} <= mounts
    edge = workloads["soap-edge"]["spec"]["template"]["spec"]["containers"][0]
    assert MetricsSettings.from_env("soap-edge", {e["name"]: e["value"] for e in edge["env"] if "value" in e}) \
        .multiproc_dir is not None


def test_a_pod_monitor_per_process_selects_its_pods_and_scrapes_over_tls(documents):
    monitors = {d["metadata"]["name"]: d for d in documents if d["kind"] == "PodMonitor"}
    workloads = {d["metadata"]["name"]: d for d in documents if d["kind"] in ("Deployment", "StatefulSet")}
    assert set(monitors) == set(PROCESS_OF)
    for name, monitor in monitors.items():
        labels = workloads[name]["spec"]["template"]["metadata"]["labels"]
        assert monitor["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert labels[monitor["spec"]["jobLabel"]] == PROCESS_OF[name]  # the job label the rules expect
        (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
        assert endpoint["port"] == "metrics" and endpoint["scheme"] == "https" and endpoint["tlsConfig"]["cert"]
        assert monitor["metadata"]["namespace"] == "ventanilla"


def test_rules_and_dashboards_come_along(documents):
    kinds = {(d["kind"], d["metadata"]["name"]) for d in documents}
    assert ("PrometheusRule", "ventanilla") in kinds
    dashboards = [d for d in documents if d["kind"] == "ConfigMap" and d["metadata"].get("labels", {})
                  .get("grafana_dashboard") == "1"]
    assert len(dashboards) == 1 + len(PROCESS_OF)  # the overview and one per process
