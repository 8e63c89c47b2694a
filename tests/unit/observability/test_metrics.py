"""Metrics objects: one registry per process, exactly the catalogue's metrics, parseable exposition."""
from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ventanilla.observability import catalogue
from ventanilla.observability.external import CLIENT_INTERCEPTOR, SERVER_INTERCEPTOR
from ventanilla.observability.metrics import Metrics
from ventanilla.observability.spec import GRPC_CLIENTS, GRPC_SERVERS, PROCESSES


def _families(registry: CollectorRegistry) -> dict:
    return {f.name: f for f in text_string_to_metric_families(generate_latest(registry).decode())}


@pytest.mark.parametrize("process", PROCESSES)
def test_a_process_registers_its_catalogue_metrics_and_nothing_else(process):
    metrics = Metrics(process)
    if process in GRPC_SERVERS:
        metrics.grpc_server_interceptor()
    if process in GRPC_CLIENTS:
        metrics.grpc_client_interceptor()
    registered = {family.name for family in metrics.registry.collect()}  # counters without _total
    created = {spec.name.removesuffix("_total") for spec in catalogue.for_process(process)
               if spec.made_by in ("", SERVER_INTERCEPTOR, CLIENT_INTERCEPTOR)}
    assert registered == created
    labels = {name.removesuffix("_total"): tuple(c._labelnames)
              for name, c in metrics.registry._names_to_collectors.items()}
    for spec in catalogue.for_process(process):
        if spec.made_by in ("", SERVER_INTERCEPTOR, CLIENT_INTERCEPTOR):
            assert labels[spec.name.removesuffix("_total")] == spec.labels, spec.name


def test_two_processes_in_one_python_do_not_collide():
    first, second = Metrics("status"), Metrics("status")
    first.grpc_server_interceptor(), second.grpc_server_interceptor()
    first.backoffice_messages.labels(kind="state_update", outcome="applied", reason="none").inc()
    assert second.registry.get_sample_value("ventanilla_backoffice_messages_total",
                                            {"kind": "state_update", "outcome": "applied", "reason": "none"}) is None


def test_interceptors_are_made_once_per_process():
    metrics = Metrics("cancellation")
    assert metrics.grpc_server_interceptor() is metrics.grpc_server_interceptor()
    assert metrics.grpc_client_interceptor() is metrics.grpc_client_interceptor()


def test_observations_show_in_the_exposition_with_their_labels():
    metrics = Metrics("soap-edge")
    metrics.soap_requests.labels(operation="enviarFactura", outcome="client_fault",
                                 fault_key="facturae.error.validation.facturaRepetida").inc()
    metrics.soap_request_body.labels(operation="enviarFactura", transfer="mtom").observe(250_000)
    families = _families(metrics.registry)
    (sample,) = [s for s in families["ventanilla_soap_requests"].samples if s.name.endswith("_total")]
    assert sample.value == 1 and sample.labels["fault_key"] == "facturae.error.validation.facturaRepetida"
    body = families["ventanilla_soap_request_body_bytes"]
    assert body.type == "histogram"
    assert [s.value for s in body.samples if s.name.endswith("_count")] == [1]
    build = families["ventanilla_build_info"].samples[0]
    assert build.value == 1 and build.labels["version"]


def test_a_metric_of_another_process_is_a_clear_error():
    with pytest.raises(AttributeError, match="not a metric of the registry process"):
        Metrics("registry").soap_requests  # noqa: B018 - the attribute access is what is refused
