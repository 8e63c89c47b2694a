"""Every overlay renders without kubectl and validates offline: Kubernetes kinds against the bundled
Kubernetes schemas (kubernetes-validate, strict), Strimzi kinds against the CRDs Strimzi 1.2's own generator
writes (kafka.strimzi.io/v1 only), CloudNativePG kinds against validators generated from its API types."""
import pytest

from tests.deploy.render import documents, schema_errors, strimzi_schemas

OVERLAYS = ["dev", "prod"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_overlay_is_valid_against_every_schema(overlay):
    assert schema_errors(overlay) == []


def test_strimzi_serves_only_v1_and_the_manifests_use_it():
    assert {api for api, _ in strimzi_schemas()} == {"kafka.strimzi.io/v1"}
    assert {d["apiVersion"] for d in documents("prod") if "strimzi" in d["apiVersion"]} == {"kafka.strimzi.io/v1"}


def test_the_schema_check_can_fail():
    from tests.deploy import render

    broken = [{"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": "x"},
               "spec": {"instances": "three"}}]
    assert render.cnpg_errors(broken) and "instances" in render.cnpg_errors(broken)[0]
    monitor = [{"apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor", "metadata": {"name": "x"},
                "spec": {"selector": {}, "podMetricsEndpoints": "every pod"}}]
    assert render.cnpg_errors(monitor)
    topic = {"spec": {"partitions": "six", "replicaz": 3}}
    schema = strimzi_schemas()[("kafka.strimzi.io/v1", "KafkaTopic")]["properties"]["spec"]
    import jsonschema
    messages = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(topic["spec"])]
    assert any("six" in m for m in messages) and any("replicaz" in m for m in messages)
