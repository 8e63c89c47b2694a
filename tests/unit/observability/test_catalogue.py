"""The metric catalogue: Prometheus naming conventions, and no label that could carry personal or document data."""
from __future__ import annotations

import re

import pytest

from ventanilla.observability import catalogue, external
from ventanilla.observability.spec import PROCESSES, Kind

# Label names whose values come from small closed sets. A new label must be added here on purpose.
SAFE_LABELS = {
    "operation", "outcome", "fault_key", "transfer", "topic", "error", "consumer", "projection", "partition",
    "stage", "kind", "reason", "action", "certificate", "volume", "version",
    "grpc_type", "grpc_service", "grpc_method", "grpc_code", "code",
}
# Words that would betray a label carrying who or what (a NIF, an invoice number, a document, a person).
FORBIDDEN = re.compile(r"nif|cif|supplier|customer|proveedor|invoice|factura|number|numero|serie|series|id$|_id|"
                       r"csv|document|content|caller|user|email|subject|name|path|url|message|detail", re.I)
NAME = re.compile(r"[a-z_][a-z0-9_]*")
OWN_PREFIX = "ventanilla_"


@pytest.mark.parametrize("spec", catalogue.CATALOGUE, ids=lambda s: s.name)
def test_labels_are_closed_sets_and_never_personal(spec):
    for label in spec.labels:
        assert label in SAFE_LABELS, f"{spec.name}: label {label!r} is not in the reviewed list"
        assert not FORBIDDEN.search(label), f"{spec.name}: label {label!r} could carry personal or document data"


@pytest.mark.parametrize("spec", catalogue.CATALOGUE, ids=lambda s: s.name)
def test_names_follow_prometheus_conventions(spec):
    assert NAME.fullmatch(spec.name) and "__" not in spec.name
    assert spec.help.endswith(".") and spec.processes and set(spec.processes) <= set(PROCESSES)
    if spec.kind is Kind.COUNTER:
        assert spec.name.endswith("_total")
    else:
        assert not spec.name.endswith("_total")
    if spec.unit:
        assert spec.name.removesuffix("_total").endswith(f"_{spec.unit}")
    assert not {"ms", "milliseconds", "kb", "kilobytes", "minutes", "hours"} & set(spec.name.split("_")), \
        "base units only: seconds and bytes"
    if not spec.made_by:
        assert spec.name.startswith(OWN_PREFIX)


def test_keys_and_names_are_unique():
    keys = [s.key for s in catalogue.CATALOGUE]
    names = [s.name for s in catalogue.CATALOGUE]
    assert len(set(keys)) == len(keys) and len(set(names)) == len(names)


def test_histograms_have_ascending_buckets_and_the_slo_thresholds():
    for spec in catalogue.CATALOGUE:
        if spec.kind is Kind.HISTOGRAM and spec.buckets:
            assert list(spec.buckets) == sorted(set(spec.buckets))
    request = next(s for s in catalogue.OWN if s.key == "soap_request_duration")
    assert {1.0, 5.0} <= set(request.buckets)  # docs/operations.md: the latency SLO thresholds


def test_every_process_has_process_metrics_and_build_info():
    for process in PROCESSES:
        names = {s.name for s in catalogue.for_process(process)}
        assert {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
                "ventanilla_build_info"} <= names


def test_series_names_expand_histograms():
    names = catalogue.series_names()
    assert {"ventanilla_soap_request_duration_seconds_bucket", "ventanilla_soap_request_duration_seconds_count",
            "grpc_server_handled_total"} <= names
    assert "ventanilla_soap_request_duration_seconds" not in names


def test_external_metrics_name_who_makes_them():
    assert all(spec.made_by for spec in external.SPECS)
