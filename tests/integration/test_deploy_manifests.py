"""The Kubernetes manifests build with kustomize and agree with the services' settings."""
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from ventanilla.adapters.topics import TOPICS
from ventanilla.config import Settings

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ROOT / "deploy" / "kubernetes" / "overlays"

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (kustomize) is not installed")


def build(overlay: str) -> list[dict]:
    output = subprocess.run(["kubectl", "kustomize", str(OVERLAYS / overlay)], capture_output=True, text=True,
                            check=True).stdout
    return [doc for doc in yaml.safe_load_all(output) if doc]


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_overlay_builds_every_service_and_the_topic(overlay):
    documents = build(overlay)
    kinds = {(d["kind"], d["metadata"]["name"]) for d in documents}
    for workload in ("registry", "status"):
        assert ("StatefulSet", workload) in kinds
    for workload in ("cancellation", "soap-edge"):
        assert ("Deployment", workload) in kinds
    topics = {d["metadata"]["name"]: d["spec"] for d in documents if d["kind"] == "KafkaTopic"}
    config = next(d for d in documents if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "ventanilla")["data"]
    settings = Settings.from_env(config)
    for spec in TOPICS:  # every topic the services use is declared, with the partitions they expect
        name = spec.name(settings)
        assert name in topics, name
        assert topics[name]["partitions"] == spec.request(settings)["num_partitions"]
    assert topics[settings.invoice_events_topic]["config"]["retention.ms"] == -1
    assert settings.soap_port == 8443 and not settings.dev_mode and settings.require_signature


def test_every_container_reads_the_shared_configuration():
    for doc in build("prod"):
        if doc["kind"] in ("Deployment", "StatefulSet"):
            container = doc["spec"]["template"]["spec"]["containers"][0]
            assert container["envFrom"] == [{"configMapRef": {"name": "ventanilla"}}]
            assert container["readinessProbe"]


def test_liveness_is_not_readiness_and_status_replicas_are_static_group_members():
    """A replica catching up, or a registry without its broker, is alive: not ready, never restarted for it."""
    workloads = {d["metadata"]["name"]: d for d in build("prod") if d["kind"] in ("Deployment", "StatefulSet")}
    for name in ("registry", "status", "cancellation"):
        container = workloads[name]["spec"]["template"]["spec"]["containers"][0]
        assert container["livenessProbe"]["grpc"]["service"] == "liveness"
        assert "service" not in container["readinessProbe"]["grpc"]
    status = workloads["status"]["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "VENTANILLA_GROUP_INSTANCE_ID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}} \
        in status["env"]
